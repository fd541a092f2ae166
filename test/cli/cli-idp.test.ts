import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { operator, signUpTenant } from '../helpers/factories.ts';
import { CERT_A, CERT_B, OIDC_SECRET } from '../helpers/idp-fixtures.ts';
import { OKTA_ENTITY_ID, OKTA_SSO_URL, oktaMetadata } from '../helpers/idp-metadata-fixtures.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { OPERATOR, runAgainst, uniqueDomain } from './run-cli.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('operator command line, in-process: idp (FED-1)', () => {
  let env: TestEnv;
  let dir: string;
  before(async () => {
    env = await createTestEnv();
    dir = mkdtempSync(path.join(tmpdir(), 'canopy-idp-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await env.close();
  });

  const run = (argv: string[], io?: { stdin?: string; env?: Record<string, string> }) =>
    runAgainst(env.container, argv, io);
  const file = (name: string, text: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, text);
    return at;
  };
  const idOf = (out: string) => /provider id: +([0-9a-f-]{36})\n/.exec(out)![1]!;

  test('FED-1 idp add-saml --metadata-file prints the provider id, SP metadata and ACS URLs; audited', async () => {
    const t = await signUpTenant(env.container, { domain: uniqueDomain('idpsaml') });
    const domain = t.organization.domain!;
    const r = await run([
      'idp',
      'add-saml',
      '--org',
      domain,
      '--name',
      'Okta',
      '--metadata-file',
      file('okta.xml', oktaMetadata()),
    ]);
    assert.equal(r.code, 0, r.err);
    const id = idOf(r.out);
    const base = env.container.config.server.publicUrl.replace(/\/+$/, '');
    assert.match(
      r.out,
      new RegExp(`^Added SAML identity provider Okta to ${domain} \\(master org ${t.tenantId}\\)\\.\\n`),
    );
    assert.ok(r.out.includes(`  IdP entity id:  ${OKTA_ENTITY_ID}\n`));
    assert.ok(r.out.includes(`  IdP SSO URL:    ${OKTA_SSO_URL}\n`));
    assert.ok(r.out.includes(`  SP metadata:    ${base}/saml/${id}/metadata  (also the SP entity id)\n`));
    assert.ok(r.out.includes(`  ACS URL:        ${base}/saml/${id}/acs  (HTTP-POST)\n`));
    const stored = await env.container.identityProviders.get(operator(), t.tenantId, id);
    assert.equal(stored.kind === 'saml' && stored.config.entityId, OKTA_ENTITY_ID);
    const audit = await env.container.database
      .knex('audit_log')
      .where({ action: 'identity_provider.create', target_id: id })
      .select('actor_id', 'actor_type');
    assert.deepEqual(audit, [{ actor_id: OPERATOR, actor_type: 'operator' }]);
  });

  test('FED-1 idp add-saml by hand with repeated --cert-file; --json; errors name the flag', async () => {
    const t = await signUpTenant(env.container, { domain: uniqueDomain('idphand') });
    const domain = t.organization.domain!;
    const base = [
      'idp',
      'add-saml',
      '--org',
      domain,
      '--name',
      'ADFS',
      '--entity-id',
      'https://adfs.example.test/adfs',
    ];
    const certs = ['--cert-file', file('a.pem', CERT_A), '--cert-file', file('b.pem', CERT_B)];
    const r = await run([...base, '--sso-url', 'https://adfs.example.test/adfs/ls', ...certs, '--json']);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.tenantId, t.tenantId);
    assert.deepEqual(
      out.identityProvider.certificates.map((c: { sha256Fingerprint: string }) => c.sha256Fingerprint),
      [CERT_A, CERT_B].map((pem) => new X509Certificate(pem).fingerprint256),
    );
    assert.match(out.identityProvider.urls.acsUrl, /\/saml\/[0-9a-f-]{36}\/acs$/);
    const http = await run([
      ...base.slice(0, 5),
      'Other',
      ...base.slice(6),
      '--sso-url',
      'http://adfs.example.test/',
      ...certs,
    ]);
    assert.equal(http.code, 2);
    assert.match(http.err, /^error: invalid input — --sso-url: must be an absolute https URL/);
    const badCert = await run([...base.slice(0, 5), 'Bad', '--cert-file', file('bad.pem', 'nope')]);
    assert.equal(badCert.code, 2);
    assert.match(badCert.err, /--cert-file .*bad\.pem: must hold exactly one PEM certificate/);
    const doctype = await run([
      ...base.slice(0, 5),
      'Bad',
      '--metadata-file',
      file('x.xml', '<!DOCTYPE x><x/>'),
    ]);
    assert.equal(doctype.code, 2);
    assert.match(doctype.err, /--metadata-file .*x\.xml: must not contain a DOCTYPE/);
    const missing = await run([
      'idp',
      'add-saml',
      '--org',
      domain,
      '--name',
      'X',
      '--metadata-file',
      path.join(dir, 'none.xml'),
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--metadata-file .*none\.xml: cannot be read \(ENOENT\)/);
    const taken = await run([...base, '--sso-url', 'https://adfs.example.test/adfs/ls', ...certs]);
    assert.equal(taken.code, 1);
    assert.equal(taken.err, `error: ${domain} already has an identity provider named ADFS\n`);
  });

  test('FED-1 CRED-6 idp add-oidc reads the secret from stdin only and prints the redirect URI', async () => {
    const t = await signUpTenant(env.container, { domain: uniqueDomain('idpoidc') });
    const domain = t.organization.domain!;
    const argv = [
      'idp',
      'add-oidc',
      '--org',
      domain,
      '--name',
      'Entra ID',
      '--issuer',
      'https://login.example.test',
      '--client-id',
      'canopy',
    ];
    const noFlag = await run(argv);
    assert.equal(noFlag.code, 2);
    assert.match(noFlag.err, /--client-secret-stdin \(never as a flag\)/);
    const empty = await run([...argv, '--client-secret-stdin'], { stdin: '' });
    assert.equal(empty.code, 2);
    const r = await run([...argv, '--client-secret-stdin', '--groups-claim', 'realm_access.roles'], {
      stdin: `${OIDC_SECRET}\n`,
    });
    assert.equal(r.code, 0, r.err);
    const id = idOf(r.out);
    assert.ok(r.out.includes(`/federation/oidc/${id}/callback\n`));
    assert.equal(r.out.includes(OIDC_SECRET), false);
    const signIn = await env.container.identityProviders.providerForSignIn(t.tenantId, id);
    assert.equal(signIn?.kind === 'oidc' && signIn.clientSecret, OIDC_SECRET);
  });

  test('FED-1 idp list, disable, enable, delete', async () => {
    const t = await signUpTenant(env.container, { domain: uniqueDomain('idplist') });
    const domain = t.organization.domain!;
    const none = await run(['idp', 'list', '--org', domain]);
    assert.equal(none.out, `${domain} (master org ${t.tenantId}): no identity providers\n`);
    const added = await run([
      'idp',
      'add-saml',
      '--org',
      domain,
      '--name',
      'Okta',
      '--metadata-file',
      file('o.xml', oktaMetadata()),
    ]);
    const id = idOf(added.out);
    assert.equal(
      (await run(['idp', 'disable', id, '--org', domain])).out,
      `Disabled identity provider Okta (${id}) of ${domain}.\n`,
    );
    const list = await run(['idp', 'list', '--org', domain]);
    assert.equal(list.code, 0, list.err);
    assert.deepEqual(list.out.split('\n').slice(1, 3), [
      `${'ID'.padEnd(36)}  KIND  STATE     NAME`,
      `${id}  saml  disabled  Okta`,
    ]);
    assert.equal((await run(['idp', 'enable', id, '--org', domain])).code, 0);
    const json = JSON.parse((await run(['idp', 'list', '--org', domain, '--json'])).out);
    assert.deepEqual(
      json.identityProviders.map((p: { id: string; enabled: boolean }) => [p.id, p.enabled]),
      [[id, true]],
    );
    assert.equal((await run(['idp', 'delete', id, '--org', domain])).code, 0);
    const gone = await run(['idp', 'delete', id, '--org', domain]);
    assert.equal(gone.code, 1);
    assert.equal(gone.err, `error: ${domain} has no identity provider ${id}\n`);
    const malformed = await run(['idp', 'enable', 'nope', '--org', domain]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.err, /A provider id is a UUID/);
    assert.equal((await run(['idp', 'list', '--org', 'no-such-org'])).code, 1);
  });
});

test('idp --help through a child process lists the subcommands', { timeout: 60_000 }, async () => {
  const child = spawn(
    path.join(ROOT, 'node_modules/.bin/node'),
    [path.join(ROOT, 'src/cli/main.ts'), 'idp', '--help'],
    { stdio: 'pipe' },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  for (const command of ['list', 'add-saml', 'add-oidc', 'disable', 'enable', 'delete'])
    assert.match(out, new RegExp(`\\n  ${command} `));
});
