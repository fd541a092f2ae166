import { Argument, type Command, InvalidArgumentError } from 'commander';
import { usernameSchema } from '../../modules/users/index.ts';
import { AppError } from '../../platform/errors/index.ts';
import { parseDomain } from '../arguments.ts';
import type { CommandDeps } from '../command-deps.ts';
import { findMaster } from '../master-org.ts';
import { printable } from '../tree.ts';

function parseUsername(value: string): string {
  const parsed = usernameSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(`The username ${parsed.error.issues[0]!.message}.`);
  return parsed.data;
}

export function registerUser(program: Command, deps: CommandDeps): void {
  const user = program.command('user').description("manage users' sign-in");

  user
    .command('unlock')
    .summary("lift a user's sign-in lockouts")
    .description(
      'Lift every sign-in lockout of a user (SEC-6): the failed password sign-ins counted against ' +
        'their username, from every address and browser and across the account, are forgotten on every ' +
        'node at once. Recorded in the audit log (action user.unlock).',
    )
    .addArgument(new Argument('<org-domain>', 'domain of the master organization').argParser(parseDomain))
    .addArgument(
      new Argument('<username>', 'the username, as the user signs in with it').argParser(parseUsername),
    )
    .option('--json', 'print the result as JSON')
    .action(async (domain: string, username: string, options: { json?: boolean }) => {
      const services = await deps.services();
      const master = await findMaster(services, domain);
      let unlocked: Awaited<ReturnType<typeof services.signIn.unlock>>;
      try {
        unlocked = await services.signIn.unlock(deps.ctx, master.id, { username });
      } catch (err) {
        if (err instanceof AppError && err.code === 'user.not_found') {
          throw new AppError(err.code, undefined, {
            message: `no user "${printable(username)}" in the organization ${domain}`,
          });
        }
        throw err;
      }
      if (options.json) {
        deps.stdout(`${JSON.stringify({ tenantId: master.id, ...unlocked }, null, 2)}\n`);
        return;
      }
      const n = unlocked.lockoutsLifted;
      const what = n === 0 ? 'no lockout was in force' : `${n} lockout${n === 1 ? '' : 's'} lifted`;
      deps.stdout(
        `Unlocked sign-in for ${printable(unlocked.username)} (${unlocked.userId}) in ${domain}: ${what}.\n` +
          'The unlock is recorded in the audit log (action user.unlock).\n',
      );
    });
}
