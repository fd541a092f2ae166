import type { Command } from 'commander';
import type { SignupResult } from '../../modules/organizations/index.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { CommandDeps } from '../command-deps.ts';
import { relabelFields, UsageError } from '../errors.ts';
import { printable } from '../tree.ts';

export const PASSWORD_ENV = 'CANOPY_SIGNUP_PASSWORD';

/** Service field → what the operator typed, so errors name the flag to fix. */
const FLAGS: Record<string, string> = {
  companyName: '--company',
  domain: '--domain',
  username: '--username',
  email: '--email',
  name: '--name',
  password: `password (--password-stdin or ${PASSWORD_ENV})`,
};

interface SignupOptions {
  company: string;
  domain: string;
  username: string;
  email: string;
  name: string;
  passwordStdin?: boolean;
  json?: boolean;
}

export function registerSignup(program: Command, deps: CommandDeps): void {
  defineSignup(program.command('signup'), 'canopy signup', deps);
}

/**
 * The operator's sign-up, as `canopy signup` and `canopy org create`. It works whatever SIGNUP_MODE
 * says: with sign-up closed (SEC-9) it is how organizations are created.
 */
export function defineSignup(command: Command, invokedAs: string, deps: CommandDeps): void {
  command
    .summary('sign a company up: master organization, owner, environments')
    .description(
      'Sign a company up (ORG-1): its master organization, the owner with Organization Administrators, ' +
        'and the Sandbox and Design environments, all or nothing. Works with SIGNUP_MODE=closed too: ' +
        'then only this command creates organizations.',
    )
    .requiredOption('--company <name>', 'company name; the name of the master organization')
    .requiredOption(
      '--domain <domain>',
      'tenant domain used in sign-in URLs (3-63 of a-z, 0-9, inner hyphens)',
    )
    .requiredOption('--username <username>', "the owner's username")
    .requiredOption('--email <email>', "the owner's email address")
    .requiredOption('--name <full name>', "the owner's full name")
    .option(
      '--password-stdin',
      `read the owner's password from the first line of stdin (else ${PASSWORD_ENV})`,
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `\nThe password is never a flag (it would show in shell history and ps). Examples:\n` +
        `  printf '%s\\n' "$PASSWORD" | ${invokedAs} --company "Acme Corp" --domain acme \\\n` +
        `      --username founder --email founder@acme.example --name "Fiona Founder" --password-stdin\n` +
        `  ${PASSWORD_ENV}=... ${invokedAs} --company ... (same flags, without --password-stdin)`,
    )
    .action(async (options: SignupOptions) => {
      const password = await readPassword(deps, options.passwordStdin === true);
      const services = await deps.services();
      let result: SignupResult;
      try {
        result = await services.signUp(deps.ctx, {
          companyName: options.company,
          domain: options.domain,
          username: options.username,
          email: options.email,
          name: options.name,
          password,
        });
      } catch (err) {
        if (err instanceof AppError && err.code === 'organization.domain_taken') {
          throw new AppError(err.code, undefined, {
            message: `the domain "${options.domain.trim().toLowerCase()}" is already in use`,
          });
        }
        throw relabelFields(err, FLAGS);
      }
      if (options.json) deps.stdout(`${JSON.stringify(summary(result), null, 2)}\n`);
      else deps.stdout(describe(result, services.config.server.publicUrl));
    });
}

async function readPassword(deps: CommandDeps, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const line = await deps.readStdinLine();
    if (line === '') throw new UsageError('--password-stdin: standard input holds no password');
    return line;
  }
  const fromEnv = deps.env[PASSWORD_ENV];
  if (fromEnv) return fromEnv;
  throw new UsageError(
    `a password is required: pipe it in with --password-stdin, or set ${PASSWORD_ENV} (never as a flag)`,
  );
}

function summary({ organization, user, environments }: SignupResult) {
  return {
    organization: { id: organization.id, name: organization.name, domain: organization.domain },
    owner: { id: user.id, username: user.username, email: user.email, name: user.name },
    environments: environments.map((e) => ({ id: e.id, name: e.name, type: e.type, clientId: e.clientId })),
  };
}

function describe(result: SignupResult, publicUrl: string): string {
  const { organization, owner, environments } = summary(result);
  const envLines = environments.map(
    (e, i) => `${i === 0 ? '  environments:   ' : '                  '}${e.name} (${e.type})  id ${e.id}`,
  );
  return [
    `Signed up ${printable(organization.name)}.`,
    `  master org id:  ${organization.id}`,
    `  domain:         ${organization.domain}`,
    `  owner:          ${owner.username} (user id ${owner.id}), Organization Administrators`,
    ...envLines,
    `  sign-in page:   ${publicUrl}/login/${organization.domain}`,
    '',
  ].join('\n');
}
