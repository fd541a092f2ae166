import { Argument, type Command } from 'commander';
import type { App } from '../../modules/apps/index.ts';
import type { Organization } from '../../modules/organizations/index.ts';
import type { CommandDeps } from '../command-deps.ts';
import { printable } from '../tree.ts';

/**
 * SEC-1: first-party apps get a person's authorization without a consent page, so only the operator
 * makes an app first-party (`app create --first-party`, `app first-party`), and reviews them
 * (`app list --first-party`), for instance after an upgrade: apps that tenants marked first-party
 * before the flag became the operator's keep it until cleared here.
 */
export function registerAppFirstParty(app: Command, deps: CommandDeps): void {
  app
    .command('first-party')
    .summary('make an app first-party (no consent page) or third-party again')
    .description(
      'Set or clear the first-party flag of a connected app, named by its app id or client id. A ' +
        'first-party app signs people in without asking for their consent: only for apps the ' +
        'organization runs itself. Tenant administrators cannot set it. Audited (app.first_party.set).',
    )
    .argument('<app>', 'the app id or the client id of the app')
    .addArgument(new Argument('<state>', 'on: first-party; off: third-party').choices(['on', 'off']))
    .action(async (ref: string, state: 'on' | 'off') => {
      const services = await deps.services();
      const { app: changed, changed: wasChanged } = await services.apps.setFirstParty(
        deps.ctx,
        ref,
        state === 'on',
      );
      const domain = await domainOf(deps, changed.tenantId);
      const now =
        state === 'on' ? 'first-party (no consent page)' : 'third-party (people are asked for consent)';
      deps.stdout(
        wasChanged
          ? `App ${printable(changed.name)} (client id ${changed.clientId}) of ${domain} is now ${now}.\n` +
              'The change is recorded in the audit log (action app.first_party.set).\n'
          : `App ${printable(changed.name)} (client id ${changed.clientId}) of ${domain} already is ${now}; nothing changed.\n`,
      );
    });
}

/** `app list --first-party`: the first-party apps of one organization, or of every one. */
export async function listFirstPartyApps(
  deps: CommandDeps,
  options: { master?: Organization; json?: boolean },
): Promise<void> {
  const services = await deps.services();
  const { master } = options;
  const all = await services.apps.listFirstParty(deps.ctx);
  const apps = master ? all.filter((a) => a.tenantId === master.id) : all;
  const domains = new Map<string, string>();
  for (const a of apps)
    if (!domains.has(a.tenantId)) domains.set(a.tenantId, await domainOf(deps, a.tenantId));
  if (options.json) {
    const listed = apps.map((a) => ({ domain: domains.get(a.tenantId), app: a }));
    deps.stdout(`${JSON.stringify({ apps: listed }, null, 2)}\n`);
    return;
  }
  const where = master ? `in ${master.domain}` : 'in any organization';
  if (apps.length === 0) {
    deps.stdout(`No first-party apps ${where}.\n`);
    return;
  }
  const lines = [`${apps.length} first-party app${apps.length === 1 ? '' : 's'} ${where} (no consent page):`];
  for (const a of apps) lines.push(describe(a, domains.get(a.tenantId)!));
  lines.push('Clear the flag with: canopy app first-party <client id> off');
  deps.stdout(`${lines.join('\n')}\n`);
}

function describe(a: App, domain: string): string {
  return `  ${domain}  ${printable(a.name)}  [${a.kind}]  client id ${a.clientId}  app id ${a.id}`;
}

async function domainOf(deps: CommandDeps, tenantId: string): Promise<string> {
  const services = await deps.services();
  const master = await services.organizations.get(deps.ctx, tenantId, tenantId);
  return master.domain ?? tenantId;
}
