import { Argument, type Command, InvalidArgumentError } from 'commander';
import { AppError } from '../../platform/errors/index.ts';
import { parseDomain, UUID } from '../arguments.ts';
import type { CommandDeps } from '../command-deps.ts';
import { findMaster } from '../master-org.ts';
import { printable, renderTree } from '../tree.ts';
import { defineSignup } from './signup.ts';

function parseOrgId(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError('An org id is a UUID.');
  return value.toLowerCase();
}

export function registerOrg(program: Command, deps: CommandDeps): void {
  const org = program
    .command('org')
    .description('create and inspect organizations, and reset their credentials');

  defineSignup(org.command('create'), 'canopy org create', deps);

  org
    .command('show')
    .summary('show the tree of a master organization')
    .description('Show the tree of a master organization, with the id and the owner of every node.')
    .addArgument(new Argument('<domain>', 'domain of the master organization').argParser(parseDomain))
    .option('--json', 'print the tree as JSON (nodes parents first, each with its depth)')
    .action(async (domain: string, options: { json?: boolean }) => {
      const { organizations } = await deps.services();
      const master = await findMaster({ organizations }, domain);
      const nodes = await organizations.tree(deps.ctx, master.id);
      if (options.json) {
        deps.stdout(`${JSON.stringify({ tenantId: master.id, domain: master.domain, nodes }, null, 2)}\n`);
        return;
      }
      const count = `${nodes.length} org node${nodes.length === 1 ? '' : 's'}`;
      deps.stdout(`${master.domain} (master org ${master.id}, ${count})\n${renderTree(nodes)}`);
    });

  org
    .command('reset-credentials')
    .summary("replace an org node's client secret and print the new one")
    .description(
      "Replace an org node's client secret (CRED-5, operator only): the old secret stops working at " +
        'once and the new one is printed, this once. The reset is recorded in the audit log.',
    )
    .addArgument(
      new Argument('<org-id>', 'id of the master organization or business group').argParser(parseOrgId),
    )
    .option('--json', 'print the new credentials as JSON')
    .action(async (orgId: string, options: { json?: boolean }) => {
      const { organizations, credentials } = await deps.services();
      let tenantId: string;
      try {
        ({ tenantId } = await organizations.locate(deps.ctx, orgId));
      } catch (err) {
        if (err instanceof AppError && err.code === 'organization.not_found') {
          throw new AppError(err.code, undefined, { message: `no organization has the id ${orgId}` });
        }
        throw err;
      }
      const node = await organizations.get(deps.ctx, tenantId, orgId);
      const reset = await credentials.resetOrgSecret(deps.ctx, tenantId, orgId);
      if (options.json) {
        const { clientId, clientSecret } = reset;
        deps.stdout(
          `${JSON.stringify({ organizationId: orgId, tenantId, clientId, clientSecret }, null, 2)}\n`,
        );
        return;
      }
      deps.stdout(
        [
          `Reset the client secret of ${node.isMaster ? 'master organization' : 'business group'} ${printable(node.name)} (${orgId}).`,
          `  client id:      ${reset.clientId}`,
          `  client secret:  ${reset.clientSecret}`,
          '',
          'This secret is shown only this once: store it now. The command line keeps no copy and cannot',
          'show it again (tenant administrators holding credentials.view can read it in the admin API).',
          'The previous secret has stopped working.',
          'The reset is recorded in the audit log (action credentials.reset).',
          '',
        ].join('\n'),
      );
    });
}
