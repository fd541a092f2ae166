import { readFileSync, statSync } from 'node:fs';
import { Argument, type Command, InvalidArgumentError } from 'commander';
import type { IdentityProvider } from '../../modules/identity-providers/index.ts';
import type { Organization } from '../../modules/organizations/index.ts';
import { AppError } from '../../platform/errors/index.ts';
import { collect, parseDomain, UUID } from '../arguments.ts';
import type { CommandDeps } from '../command-deps.ts';
import { relabelFields, UsageError } from '../errors.ts';
import { findMaster } from '../master-org.ts';
import { printable } from '../tree.ts';
import { asJson, createdText, listText } from './idp-output.ts';

// FED-1 for operators: the identity providers of a master org, as the admin API manages them
// (same service, same checks, audited with the operator as the actor).

/** Far above the 256 KiB the service accepts: only guards against reading a wrong, huge file. */
const MAX_FILE_BYTES = 1024 * 1024;

function parseProviderId(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError('A provider id is a UUID.');
  return value.toLowerCase();
}

function readTextFile(flag: string, file: string): string {
  try {
    if (statSync(file).size > MAX_FILE_BYTES) throw new UsageError(`${flag} ${file}: larger than 1 MiB`);
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${flag} ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
}

/** Service field paths → the flags the operator typed, so errors name what to fix. */
function labels(o: { metadataFile?: string; certFile?: string[] }): Record<string, string> {
  const out: Record<string, string> = {
    name: '--name',
    metadataXml: `--metadata-file ${o.metadataFile ?? ''}`.trim(),
    'config.entityId': '--entity-id',
    'config.ssoUrl': '--sso-url',
    'config.signingCertificates': '--cert-file',
    'config.issuer': '--issuer',
    'config.clientId': '--client-id',
    'config.groupsClaim': '--groups-claim',
    clientSecret: 'client secret (--client-secret-stdin)',
  };
  o.certFile?.forEach((file, i) => {
    out[`config.signingCertificates.${i}`] = `--cert-file ${printable(file)}`;
  });
  return out;
}

function explain(err: unknown, master: Organization, name: string, o: Parameters<typeof labels>[0]) {
  if (err instanceof AppError && err.code === 'identity_provider.name_taken') {
    return new AppError(err.code, undefined, {
      message: `${master.domain} already has an identity provider named ${printable(name.trim())}`,
    });
  }
  return relabelFields(err, labels(o));
}

interface SamlOptions {
  org: string;
  name: string;
  metadataFile?: string;
  entityId?: string;
  ssoUrl?: string;
  certFile?: string[];
  json?: boolean;
}

interface OidcOptions {
  org: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecretStdin?: boolean;
  scope?: string[];
  groupsClaim?: string;
  json?: boolean;
}

export function registerIdp(program: Command, deps: CommandDeps): void {
  const idp = program
    .command('idp')
    .description("connect and manage a master organization's identity providers");

  const created = (master: Organization, p: IdentityProvider, json?: boolean) =>
    deps.stdout(json ? asJson(master, { identityProvider: p }) : createdText(master, p));

  idp
    .command('list')
    .summary("list a master organization's identity providers")
    .requiredOption('--org <domain>', 'domain of the master organization', parseDomain)
    .option('--json', 'print the providers as JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const services = await deps.services();
      const master = await findMaster(services, o.org);
      const providers = await services.identityProviders.list(deps.ctx, master.id);
      deps.stdout(o.json ? asJson(master, { identityProviders: providers }) : listText(master, providers));
    });

  idp
    .command('add-saml')
    .summary('connect a SAML 2.0 identity provider, from its metadata or by hand')
    .description(
      'Connect a SAML 2.0 identity provider (FED-1): give the IdP metadata file, or its entity id, ' +
        'sign-on URL (HTTP-Redirect binding) and signing certificates; flags win over the metadata. ' +
        'Assertion and response must both be signed (change it in the admin API).',
    )
    .requiredOption('--org <domain>', 'domain of the master organization', parseDomain)
    .requiredOption('--name <name>', 'name shown to users (unique in the organization)')
    .option('--metadata-file <path>', 'the IdP metadata XML (SAML 2.0, no DOCTYPE)')
    .option('--entity-id <id>', "the IdP's entity id (Issuer of its responses)")
    .option('--sso-url <url>', "the IdP's single sign-on URL, HTTP-Redirect binding (https)")
    .option('--cert-file <path>', 'a PEM signing certificate of the IdP (repeatable)', collect)
    .option('--json', 'print the provider as JSON')
    .action(async (o: SamlOptions) => {
      const metadataXml = o.metadataFile ? readTextFile('--metadata-file', o.metadataFile) : undefined;
      const certs = o.certFile?.map((file) => readTextFile('--cert-file', file));
      const config = {
        ...(o.entityId === undefined ? {} : { entityId: o.entityId }),
        ...(o.ssoUrl === undefined ? {} : { ssoUrl: o.ssoUrl }),
        ...(certs === undefined ? {} : { signingCertificates: certs }),
      };
      const services = await deps.services();
      const master = await findMaster(services, o.org);
      const body = {
        kind: 'saml',
        name: o.name,
        config,
        ...(metadataXml === undefined ? {} : { metadataXml }),
      };
      const p = await services.identityProviders.create(deps.ctx, master.id, body).catch((err: unknown) => {
        throw explain(err, master, o.name, o);
      });
      created(master, p, o.json);
    });

  idp
    .command('add-oidc')
    .summary('connect an OpenID Connect identity provider')
    .description(
      'Connect an OpenID Connect identity provider (FED-1, FED-7) by its issuer (discovery) and the ' +
        'client registered there. The client secret is read from stdin and stored encrypted.',
    )
    .requiredOption('--org <domain>', 'domain of the master organization', parseDomain)
    .requiredOption('--name <name>', 'name shown to users (unique in the organization)')
    .requiredOption('--issuer <url>', 'the issuer URL (https; its discovery document is used)')
    .requiredOption('--client-id <id>', 'the client id Canopy has at the provider')
    .option('--client-secret-stdin', 'read the client secret from the first line of stdin')
    .option('--scope <scope>', 'a scope to ask for (repeatable; default openid profile email)', collect)
    .option('--groups-claim <path>', 'claim holding the groups, dotted path (default groups)')
    .option('--json', 'print the provider as JSON')
    .addHelpText(
      'after',
      `\nThe client secret is never a flag (it would show in shell history and ps). Example:\n` +
        `  printf '%s\\n' "$SECRET" | canopy idp add-oidc --org acme --name "Entra ID" \\\n` +
        `      --issuer https://login.microsoftonline.com/<tenant>/v2.0 --client-id <id> --client-secret-stdin`,
    )
    .action(async (o: OidcOptions) => {
      if (!o.clientSecretStdin)
        throw new UsageError(
          'a client secret is required: pipe it in with --client-secret-stdin (never as a flag)',
        );
      const clientSecret = await deps.readStdinLine();
      if (clientSecret === '') throw new UsageError('--client-secret-stdin: standard input holds no secret');
      const config = {
        issuer: o.issuer,
        clientId: o.clientId,
        ...(o.scope ? { scopes: o.scope } : {}),
        ...(o.groupsClaim ? { groupsClaim: o.groupsClaim } : {}),
      };
      const services = await deps.services();
      const master = await findMaster(services, o.org);
      const body = { kind: 'oidc', name: o.name, config, clientSecret };
      const p = await services.identityProviders.create(deps.ctx, master.id, body).catch((err: unknown) => {
        throw explain(err, master, o.name, {});
      });
      created(master, p, o.json);
    });

  const change = (verb: 'enable' | 'disable' | 'delete', summary: string) =>
    idp
      .command(verb)
      .summary(summary)
      .addArgument(new Argument('<provider-id>', 'id of the identity provider').argParser(parseProviderId))
      .requiredOption('--org <domain>', 'domain of the master organization', parseDomain)
      .action(async (id: string, o: { org: string }) => {
        const services = await deps.services();
        const master = await findMaster(services, o.org);
        const idps = services.identityProviders;
        try {
          const p = await idps.get(deps.ctx, master.id, id);
          if (verb === 'delete') await idps.remove(deps.ctx, master.id, id);
          else await idps.update(deps.ctx, master.id, id, { enabled: verb === 'enable' });
          const done = { enable: 'Enabled', disable: 'Disabled', delete: 'Deleted' }[verb];
          deps.stdout(`${done} identity provider ${printable(p.name)} (${id}) of ${master.domain}.\n`);
        } catch (err) {
          if (err instanceof AppError && err.code === 'identity_provider.not_found')
            throw new AppError(err.code, undefined, {
              message: `${master.domain} has no identity provider ${id}`,
            });
          throw err;
        }
      });
  change('enable', 'let users sign in through an identity provider again');
  change('disable', 'stop sign-ins through an identity provider (its settings stay)');
  change('delete', 'remove an identity provider; its users stay, its group-mapped roles go');
}
