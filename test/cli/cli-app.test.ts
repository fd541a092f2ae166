import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addBusinessGroup, operator, signUpTenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { OPERATOR, runAgainst, uniqueDomain } from './run-cli.ts';

describe('operator command line, in-process: app create, app list, app first-party', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const run = (argv: string[]) => runAgainst(env.container, argv);

  test('APP-1 app create registers a web app, prints its client id and its secret once, and is audited', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { domain: uniqueDomain('appweb') });
    const domain = t.organization.domain!;
    const r = await run([
      'app',
      'create',
      '--org',
      domain.toUpperCase(),
      '--name',
      'Portal',
      '--kind',
      'web',
      '--redirect-uri',
      'https://portal.example.com/callback',
      '--redirect-uri',
      'http://localhost:3000/callback',
      '--post-logout-redirect-uri',
      'https://portal.example.com/',
      '--first-party',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const [app] = await c.apps.list(operator(), t.tenantId);
    assert.ok(app);
    const secret = /client secret:\s+(\S+)\n/.exec(r.out)?.[1];
    assert.ok(secret);
    assert.equal(await c.apps.verifySecret(app.clientId, secret), true);
    assert.deepEqual(r.out.split('\n').slice(0, 7), [
      `Registered web app Portal for ${domain} (master org ${t.tenantId}).`,
      `  app id:         ${app.id}`,
      `  client id:      ${app.clientId}`,
      '  redirect URI:   https://portal.example.com/callback',
      '  redirect URI:   http://localhost:3000/callback',
      '  after logout:   https://portal.example.com/',
      '  first-party:    yes (no consent page)',
    ]);
    assert.match(r.out, /shown only this once/);
    const audit = await c.database
      .knex('audit_log')
      .where({ action: 'app.create', tenant_id: t.tenantId })
      .select('actor_type', 'actor_id', 'target_id');
    assert.deepEqual(audit, [{ actor_type: 'operator', actor_id: OPERATOR, target_id: app.id }]);

    // Listing never shows a secret.
    const list = await run(['app', 'list', '--org', domain]);
    assert.equal(list.code, 0, list.err);
    assert.ok(!list.out.includes(secret));
    assert.deepEqual(list.out.split('\n').slice(0, 4), [
      `${domain} (master org ${t.tenantId}): 1 app`,
      'Portal  [web]',
      `  app id:         ${app.id}`,
      `  client id:      ${app.clientId}`,
    ]);
  });

  test('APP-1 app create: public apps get no secret; service apps get grants; --json prints the result', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { domain: uniqueDomain('appjson') });
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const domain = t.organization.domain!;
    const native = await run([
      ...['app', 'create', '--org', domain, '--name', 'Mobile', '--kind', 'native'],
      ...['--redirect-uri', 'com.example.mobile:/callback'],
    ]);
    assert.equal(native.code, 0, native.err);
    assert.match(native.out, /client secret:\s+none \(public client/);

    const service = await run([
      ...['app', 'create', '--org', domain, '--name', 'Sync', '--kind', 'service', '--json'],
      ...['--grant', `${t.tenantId}:audit.view`, '--grant', `${bg.id}:users.manage, users.invite`],
    ]);
    assert.equal(service.code, 0, service.err);
    const out = JSON.parse(service.out);
    assert.deepEqual([out.tenantId, out.domain, out.app.kind], [t.tenantId, domain, 'service']);
    assert.deepEqual(out.app.grants, [
      { organizationId: t.tenantId, permissions: ['audit.view'] },
      { organizationId: bg.id, permissions: ['users.invite', 'users.manage'] },
    ]);
    assert.equal(await c.apps.verifySecret(out.app.clientId, out.clientSecret), true);

    const list = await run(['app', 'list', '--org', domain, '--json']);
    assert.equal(list.code, 0, list.err);
    const listed = JSON.parse(list.out);
    assert.deepEqual(
      listed.apps.map((a: { name: string; kind: string }) => [a.name, a.kind]),
      [
        ['Mobile', 'native'],
        ['Sync', 'service'],
      ],
    );
    assert.ok(!list.out.includes(out.clientSecret));
  });

  test('APP-1 app create refuses bad input naming the flag (exit 2) and failures (exit 1), and writes nothing', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { domain: uniqueDomain('appbad') });
    const other = await signUpTenant(c, { domain: uniqueDomain('appother') });
    const domain = t.organization.domain!;
    const base = ['app', 'create', '--org', domain, '--name', 'Portal'];

    const http = await run([...base, '--kind', 'web', '--redirect-uri', 'http://portal.example.com/cb']);
    assert.equal(http.code, 2);
    assert.match(
      http.err,
      /^error: invalid input — --redirect-uri http:\/\/portal.example.com\/cb: must use https/,
    );
    const fragment = await run([...base, '--kind', 'spa', '--redirect-uri', 'https://a.example/cb#x']);
    assert.equal(fragment.code, 2);
    assert.match(fragment.err, /--redirect-uri https:\/\/a.example\/cb#x: must not contain a fragment/);
    const missing = await run([...base, '--kind', 'web']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--redirect-uri: a user-facing app needs a redirect URI/);
    const kind = await run([...base, '--kind', 'desktop']);
    assert.equal(kind.code, 2);
    assert.match(kind.err, /Allowed choices are web, spa, native, service/);
    const noKind = await run(base);
    assert.equal(noKind.code, 2);
    const grant = await run([...base, '--kind', 'service', '--grant', 'nonsense']);
    assert.equal(grant.code, 2);
    assert.match(grant.err, /A grant is <org-id>:<permission>/);
    const perm = await run([...base, '--kind', 'service', '--grant', `${t.tenantId}:fly`]);
    assert.equal(perm.code, 2);
    assert.match(perm.err, new RegExp(`--grant ${t.tenantId}:fly \\(fly\\): is not a permission`));
    const foreign = await run([...base, '--kind', 'service', '--grant', `${other.tenantId}:audit.view`]);
    assert.equal(foreign.code, 1);
    assert.equal(
      foreign.err,
      `error: --grant ${other.tenantId}:audit.view: no org node ${other.tenantId} in ${domain}\n`,
    );
    const unknown = await run(['app', 'create', '--org', 'no-such-domain', '--name', 'X', '--kind', 'spa']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.err, 'error: no master organization has the domain "no-such-domain"\n');
    assert.deepEqual(await c.apps.list(operator(), t.tenantId), []);

    const ok = await run([...base, '--kind', 'spa', '--redirect-uri', 'https://a.example/cb']);
    assert.equal(ok.code, 0, ok.err);
    const taken = await run([
      ...base.slice(0, -1),
      'portal',
      '--kind',
      'spa',
      '--redirect-uri',
      'https://b/',
    ]);
    assert.equal(taken.code, 1);
    assert.equal(taken.err, `error: ${domain} already has an app named portal\n`);
  });

  test('SEC-1 app first-party sets and clears the flag (audited as the operator); app list --first-party reviews them', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { domain: uniqueDomain('appfp') });
    const other = await signUpTenant(c, { domain: uniqueDomain('appfpother') });
    const domain = t.organization.domain!;
    // Registered by a tenant administrator: third-party, as every app registered through the API.
    const { app } = await c.apps.create(t.owner, t.tenantId, {
      kind: 'web',
      name: 'Intranet',
      redirectUris: ['https://intranet.example.com/cb'],
    });
    const theirs = await run([
      ...['app', 'create', '--org', other.organization.domain!, '--name', 'Theirs', '--kind', 'spa'],
      ...['--redirect-uri', 'https://theirs.example.com/cb', '--first-party', '--json'],
    ]);
    assert.equal(theirs.code, 0, theirs.err);
    const theirApp = JSON.parse(theirs.out).app;

    const on = await run(['app', 'first-party', app.clientId, 'on']);
    assert.equal(on.code, 0, on.err);
    assert.equal(
      on.out,
      `App Intranet (client id ${app.clientId}) of ${domain} is now first-party (no consent page).\n` +
        'The change is recorded in the audit log (action app.first_party.set).\n',
    );
    assert.equal((await c.apps.get(t.owner, t.tenantId, app.id)).firstParty, true);
    const again = await run(['app', 'first-party', app.id, 'on']);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /already is first-party .*; nothing changed/);

    const everywhere = await run(['app', 'list', '--first-party', '--json']);
    assert.equal(everywhere.code, 0, everywhere.err);
    const listed = JSON.parse(everywhere.out).apps as Array<{ domain: string; app: { id: string } }>;
    assert.deepEqual(
      listed
        .filter((x) => [app.id, theirApp.id].includes(x.app.id))
        .map((x) => x.domain)
        .sort(),
      [domain, other.organization.domain].sort(),
    );
    const mine = await run(['app', 'list', '--first-party', '--org', domain]);
    assert.equal(mine.code, 0, mine.err);
    assert.equal(
      mine.out,
      `1 first-party app in ${domain} (no consent page):\n` +
        `  ${domain}  Intranet  [web]  client id ${app.clientId}  app id ${app.id}\n` +
        'Clear the flag with: canopy app first-party <client id> off\n',
    );

    const off = await run(['app', 'first-party', app.id, 'off']);
    assert.equal(off.code, 0, off.err);
    assert.match(off.out, /is now third-party \(people are asked for consent\)/);
    assert.equal((await c.apps.get(t.owner, t.tenantId, app.id)).firstParty, false);
    const none = await run(['app', 'list', '--first-party', '--org', domain]);
    assert.equal(none.out, `No first-party apps in ${domain}.\n`);

    const audit = await c.database
      .knex('audit_log')
      .where({ action: 'app.first_party.set', tenant_id: t.tenantId })
      .orderBy('occurred_at')
      .select('actor_type', 'actor_id', 'target_id', 'before', 'after');
    assert.deepEqual(
      audit.map((a) => [a.actor_type, a.actor_id, a.target_id, a.before.firstParty, a.after.firstParty]),
      [
        ['operator', OPERATOR, app.id, false, true],
        ['operator', OPERATOR, app.id, true, false],
      ],
    );
  });

  test('SEC-1 app first-party refuses service apps, unknown apps and other states, and changes nothing', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { domain: uniqueDomain('appfpbad') });
    const service = await run([
      ...['app', 'create', '--org', t.organization.domain!, '--name', 'Sync', '--kind', 'service', '--json'],
      ...['--grant', `${t.tenantId}:audit.view`],
    ]);
    const { app } = JSON.parse(service.out);
    const refused = await run(['app', 'first-party', app.clientId, 'on']);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /firstParty: only user-facing apps can be first-party/);
    const unknown = await run(['app', 'first-party', '0'.repeat(32), 'on']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.err, `error: no app has the id or client id "${'0'.repeat(32)}"\n`);
    const state = await run(['app', 'first-party', app.clientId, 'yes']);
    assert.equal(state.code, 2);
    assert.match(state.err, /Allowed choices are on, off/);
    const noOrg = await run(['app', 'list']);
    assert.equal(noOrg.code, 2);
    assert.match(noOrg.err, /--org <domain>.*not specified/);
    assert.equal((await c.apps.get(t.owner, t.tenantId, app.id)).firstParty, false);
    const audit = await c.database
      .knex('audit_log')
      .where({ action: 'app.first_party.set', tenant_id: t.tenantId });
    assert.deepEqual(audit, []);
  });

  test('APP-1 app list shows an organization without apps, and refuses a malformed domain', async () => {
    const t = await signUpTenant(env.container, { domain: uniqueDomain('appnone') });
    const r = await run(['app', 'list', '--org', t.organization.domain!]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${t.organization.domain} (master org ${t.tenantId}): no apps\n`);
    const malformed = await run(['app', 'list', '--org', 'bad_domain!']);
    assert.equal(malformed.code, 2);
    assert.match(malformed.err, /option '--org <domain>' argument 'bad_domain!' is invalid/);
  });
});
