import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { accessDeniedEntry } from '../modules/audit/index.ts';
import { operatorContext } from '../platform/context.ts';
import { AppError } from '../platform/errors/index.ts';
import type { CliDeps, CommandDeps } from './command-deps.ts';
import { registerApp } from './commands/app.ts';
import { registerHousekeeping } from './commands/housekeeping.ts';
import { registerIdp } from './commands/idp.ts';
import { registerKeys } from './commands/keys.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerOrg } from './commands/org.ts';
import { registerSecrets } from './commands/secrets.ts';
import { registerSignup } from './commands/signup.ts';
import { registerUser } from './commands/user.ts';
import { describeError, EXIT_OK, EXIT_USAGE } from './errors.ts';

export type { CliDeps, CliServices, CommandDeps, MigrationReport } from './command-deps.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function buildProgram(deps: CommandDeps): Command {
  const program = new Command('canopy');
  // Settings first: subcommands copy them when they are created.
  program
    .description(
      'Operator commands for Canopy. Configuration comes from config/default.yaml, the file named by ' +
        'CANOPY_CONFIG and the environment (DATABASE_URL, DATA_DIR, SECRETS_KEY, REDIS_URL, ...).',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr })
    .showSuggestionAfterError(true);
  registerMigrate(program, deps);
  registerSignup(program, deps);
  registerOrg(program, deps);
  registerApp(program, deps);
  registerKeys(program, deps);
  registerSecrets(program, deps);
  registerIdp(program, deps);
  registerUser(program, deps);
  registerHousekeeping(program, deps);
  return program;
}

/**
 * Runs one command line (arguments after the program name) and answers the exit code. Errors are
 * reported on stderr as one line; nothing is thrown.
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const commandDeps = { ...deps, ctx: operatorContext(randomUUID(), deps.operatorName) };
  const program = buildProgram(commandDeps);
  let command: string | undefined;
  program.hook('preAction', (_program, action) => {
    command = commandPath(action);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    // Commander has already written its message (or the help) to stderr.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof AppError && err.status === 403 && command) {
      await auditRefusal(commandDeps, command, err);
    }
    const { message, exitCode } = describeError(err, Boolean(deps.env.CANOPY_DEBUG));
    deps.stderr(`${message}\n`);
    return exitCode;
  }
}

/** The command's words without the program's name or any argument ("app first-party"). */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * SEC-12: a command refused with a 403 is audited (`access.denied`) like a refused API request,
 * here once for every command. Failing to audit it is reported; the refusal's exit code stands.
 */
async function auditRefusal(deps: CommandDeps, command: string, err: AppError): Promise<void> {
  const entry = accessDeniedEntry(deps.ctx, { command }, err);
  if (!entry) return;
  try {
    await (await deps.services()).audit.recordNow(deps.ctx, entry);
  } catch (failure) {
    deps.stderr(`warning: could not record the refusal in the audit log: ${(failure as Error).message}\n`);
  }
}
