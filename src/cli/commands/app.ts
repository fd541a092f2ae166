import { type Command, InvalidArgumentError, Option } from 'commander';
import { APP_KINDS, type App } from '../../modules/apps/index.ts';
import type { Organization } from '../../modules/organizations/index.ts';
import { AppError } from '../../platform/errors/index.ts';
import { collect, parseDomain, UUID } from '../arguments.ts';
import type { CliServices, CommandDeps } from '../command-deps.ts';
import { relabelFields, UsageError } from '../errors.ts';
import { findMaster } from '../master-org.ts';
import { printable } from '../tree.ts';
import { listFirstPartyApps, registerAppFirstParty } from './app-first-party.ts';

interface GrantArg {
  /** As typed, so errors can quote it. */
  text: string;
  organizationId: string;
  permissions: string[];
}

interface CreateOptions {
  org: string;
  name: string;
  kind: App['kind'];
  redirectUri: string[];
  postLogoutRedirectUri: string[];
  firstParty?: boolean;
  grant: GrantArg[];
  refreshTokenReuseSeconds?: number;
  json?: boolean;
}

/** As Commander hands them over: a repeatable flag never given is undefined. */
type CreateFlags = Omit<CreateOptions, 'redirectUri' | 'postLogoutRedirectUri' | 'grant'> &
  Partial<Pick<CreateOptions, 'redirectUri' | 'postLogoutRedirectUri' | 'grant'>>;

/** `<org-id>:<permission>[,<permission>...]`; whether the permissions exist is the service's call. */
function collectGrant(value: string, previous: GrantArg[] | undefined): GrantArg[] {
  const colon = value.indexOf(':');
  const organizationId = value.slice(0, Math.max(colon, 0)).trim();
  const permissions = value
    .slice(colon + 1)
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (colon < 0 || !UUID.test(organizationId) || permissions.length === 0) {
    throw new InvalidArgumentError('A grant is <org-id>:<permission>[,<permission>...], the org id a UUID.');
  }
  return [...(previous ?? []), { text: value, organizationId: organizationId.toLowerCase(), permissions }];
}

/** A whole number of seconds; the range is the service's to check, so its message names the bounds. */
function parseSeconds(value: string): number {
  if (!/^\d{1,6}$/.test(value.trim())) throw new InvalidArgumentError('A whole number of seconds, like 5.');
  return Number(value.trim());
}

/** Service field paths → the flag (and value) the operator typed, so errors name what to fix. */
function flagLabels(o: CreateOptions): Record<string, string> {
  const labels: Record<string, string> = {
    name: '--name',
    kind: '--kind',
    redirectUris: '--redirect-uri',
    postLogoutRedirectUris: '--post-logout-redirect-uri',
    firstParty: '--first-party',
    grants: '--grant',
    refreshTokenReuseSeconds: '--refresh-token-reuse-seconds',
  };
  o.redirectUri.forEach((uri, i) => {
    labels[`redirectUris.${i}`] = `--redirect-uri ${printable(uri)}`;
  });
  o.postLogoutRedirectUri.forEach((uri, i) => {
    labels[`postLogoutRedirectUris.${i}`] = `--post-logout-redirect-uri ${printable(uri)}`;
  });
  o.grant.forEach((g, i) => {
    for (const key of ['', '.organizationId', '.permissions'])
      labels[`grants.${i}${key}`] = `--grant ${printable(g.text)}`;
    g.permissions.forEach((p, j) => {
      labels[`grants.${i}.permissions.${j}`] = `--grant ${printable(g.text)} (${printable(p)})`;
    });
  });
  return labels;
}

function describeApp(app: App): string[] {
  const lines = [`  app id:         ${app.id}`, `  client id:      ${app.clientId}`];
  for (const uri of app.redirectUris) lines.push(`  redirect URI:   ${printable(uri)}`);
  for (const uri of app.postLogoutRedirectUris) lines.push(`  after logout:   ${printable(uri)}`);
  for (const g of app.grants)
    lines.push(`  grant:          ${g.organizationId}  ${g.permissions.join(', ')}`);
  if (app.firstParty) lines.push('  first-party:    yes (no consent page)');
  if (app.kind !== 'service')
    lines.push(`  refresh reuse:  ${app.refreshTokenReuseSeconds} s (a second use within it is no replay)`);
  return lines;
}

export function registerApp(program: Command, deps: CommandDeps): void {
  const app = program
    .command('app')
    .description("register and list a tenant's connected apps; decide which are first-party (SEC-1)");

  app
    .command('create')
    .summary('register a connected app and print its client id (and secret, once)')
    .description(
      'Register a connected app for a master organization (APP-1). Web and service apps get a client ' +
        'secret, printed this once; single-page and native apps are public clients (PKCE). Redirect ' +
        'URIs are exact: https, or http on loopback (127.0.0.1, [::1], localhost); native apps may also ' +
        'use a private-use scheme like com.example.app:/callback. The registration is audited.',
    )
    .requiredOption('--org <domain>', 'domain of the master organization', parseDomain)
    .requiredOption('--name <name>', 'name of the app (unique in the organization)')
    .addOption(new Option('--kind <kind>', 'kind of app').choices(APP_KINDS).makeOptionMandatory())
    .option('--redirect-uri <uri>', 'a redirect URI (repeatable; user-facing apps need one)', collect)
    .option('--post-logout-redirect-uri <uri>', 'a post-logout redirect URI (repeatable)', collect)
    .option('--first-party', 'a first-party app: users are not asked for consent (operator only, SEC-1)')
    .option(
      '--grant <org-id>:<permissions>',
      'service apps: comma-separated permissions on a node and the nodes below it (repeatable)',
      collectGrant,
    )
    .option(
      '--refresh-token-reuse-seconds <seconds>',
      'user-facing apps: seconds (0-60, default 5) after a refresh token is used during which using it ' +
        'again gets new tokens instead of revoking the grant (workers refreshing at once); 0: strict',
      parseSeconds,
    )
    .option('--json', 'print the app (and its secret) as JSON')
    .action(async (flags: CreateFlags) => {
      const options: CreateOptions = {
        ...flags,
        redirectUri: flags.redirectUri ?? [],
        postLogoutRedirectUri: flags.postLogoutRedirectUri ?? [],
        grant: flags.grant ?? [],
      };
      const services = await deps.services();
      const master = await findMaster(services, options.org);
      let created: Awaited<ReturnType<CliServices['apps']['create']>>;
      try {
        created = await services.apps.create(deps.ctx, master.id, {
          kind: options.kind,
          name: options.name,
          redirectUris: options.redirectUri,
          postLogoutRedirectUris: options.postLogoutRedirectUri,
          firstParty: options.firstParty === true,
          grants: options.grant.map(({ organizationId, permissions }) => ({ organizationId, permissions })),
          ...(options.refreshTokenReuseSeconds === undefined
            ? {}
            : { refreshTokenReuseSeconds: options.refreshTokenReuseSeconds }),
        });
      } catch (err) {
        throw explain(err, options, master);
      }
      const { app: registered, clientSecret } = created;
      if (options.json) {
        const out = { tenantId: master.id, domain: master.domain, app: registered, clientSecret };
        deps.stdout(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const lines = [
        `Registered ${registered.kind} app ${printable(registered.name)} for ${master.domain} (master org ${master.id}).`,
        ...describeApp(registered),
      ];
      if (clientSecret === undefined) {
        lines.push('  client secret:  none (public client: authorization code with PKCE)');
      } else {
        lines.push(
          `  client secret:  ${clientSecret}`,
          '',
          'This secret is shown only this once: store it now. Canopy keeps it encrypted and cannot show it',
          'again; a holder of apps.manage can rotate it to issue a new one.',
        );
      }
      lines.push('The registration is recorded in the audit log (action app.create).', '');
      deps.stdout(lines.join('\n'));
    });

  app
    .command('list')
    .summary("list a master organization's connected apps")
    .description(
      'List the connected apps of a master organization, with their client ids (never secrets). With ' +
        '--first-party, only the first-party apps (no consent page), of every organization unless --org names one.',
    )
    .option(
      '--org <domain>',
      'domain of the master organization (required without --first-party)',
      parseDomain,
    )
    .option('--first-party', 'only first-party apps, for review (SEC-1)')
    .option('--json', 'print the apps as JSON')
    .action(async (options: { org?: string; firstParty?: boolean; json?: boolean }) => {
      const services = await deps.services();
      if (options.firstParty) {
        const master = options.org === undefined ? undefined : await findMaster(services, options.org);
        return listFirstPartyApps(deps, { ...(master ? { master } : {}), json: options.json });
      }
      if (options.org === undefined)
        throw new UsageError("required option '--org <domain>' not specified (or give --first-party)");
      const master = await findMaster(services, options.org);
      const apps = await services.apps.list(deps.ctx, master.id);
      if (options.json) {
        deps.stdout(`${JSON.stringify({ tenantId: master.id, domain: master.domain, apps }, null, 2)}\n`);
        return;
      }
      const count = apps.length === 0 ? 'no apps' : `${apps.length} app${apps.length === 1 ? '' : 's'}`;
      const lines = [`${master.domain} (master org ${master.id}): ${count}`];
      for (const a of apps) {
        lines.push(`${printable(a.name)}  [${a.kind}]`, ...describeApp(a));
      }
      deps.stdout(`${lines.join('\n')}\n`);
    });

  registerAppFirstParty(app, deps);
}

/** Service errors in the operator's terms: flags instead of field paths, names instead of codes. */
function explain(err: unknown, o: CreateOptions, master: Organization): unknown {
  if (!(err instanceof AppError)) return err;
  if (err.code === 'app.name_taken') {
    return new AppError(err.code, undefined, {
      message: `${master.domain} already has an app named ${printable(o.name.trim())}`,
    });
  }
  const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
  const grant = field ? o.grant[Number(/^grants\.(\d+)\./.exec(field)?.[1] ?? Number.NaN)] : undefined;
  if (err.code === 'organization.not_found' && grant) {
    return new AppError(err.code, undefined, {
      message: `--grant ${printable(grant.text)}: no org node ${grant.organizationId} in ${master.domain}`,
    });
  }
  return relabelFields(err, flagLabels(o));
}
