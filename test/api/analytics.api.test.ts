import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import * as client from 'openid-client';
import { BUILT_IN_ROLES } from '../../src/modules/roles/index.ts';
import { userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { addBusinessGroup, addUser, signUpTenant } from '../helpers/factories.ts';
import { startOidcServer } from '../helpers/oidc-server.ts';
import { authorizationRequest, codeFlow, registerApp, submitLogin, visit } from '../helpers/sso-flow.ts';
import { introspect, registerServiceApp, relyingParty } from '../helpers/sso-session.ts';

// ANL-1 end to end: real sign-ins through the pages, client-credentials tokens and introspections
// through the provider, the counters flushed, then the counts per day, app and environment as the
// admin API shows them to holders of analytics.view, for their node and its descendants only.

const analyticsViewer = BUILT_IN_ROLES.find((r) => r.key === 'analytics-viewer')!.id;
const DAY = 86_400_000;

type Row = {
  day: string;
  organizationId: string;
  environmentId: string | null;
  clientId: string | null;
  signInSuccess: number;
  signInFailure: number;
  tokenIssued: number;
  introspection: number;
};
const counts = (s: number, f: number, tk: number, i: number) => ({
  signInSuccess: s,
  signInFailure: f,
  tokenIssued: tk,
  introspection: i,
});
const key = (r: Pick<Row, 'day' | 'organizationId' | 'environmentId' | 'clientId'>) =>
  `${r.day} ${r.organizationId} ${r.environmentId ?? '-'} ${r.clientId ?? '-'}`;

const s = await apiSuite({ start: () => startOidcServer() });
const { api, t } = s;
const ids = await twoDaysOfTraffic();
const owner = await userToken(s.container, t.user.id); // after the clock moved: a token of today

/** The traffic counted: sign-ins, tokens and introspections over two days; the ids of what it involved. */
async function twoDaysOfTraffic(): Promise<Record<string, string>> {
  const c = s.container;
  const ids: Record<string, string> = {};
  const group = await addBusinessGroup(c, t, t.tenantId);
  const child = await addBusinessGroup(c, t, group.id);
  const sibling = await addBusinessGroup(c, t, t.tenantId);
  const env = await c.environments.create(t.owner, t.tenantId, group.id, {
    name: 'Prod',
    type: 'production',
  });
  Object.assign(ids, { group: group.id, child: child.id, sibling: sibling.id, env: env.id });
  const credentials = async (orgId: string, environmentId: string | null) => {
    const creds = await c.credentials.read(t.owner, t.tenantId, { orgId, environmentId });
    return relyingParty(s.issuer, creds.clientId, creds.clientSecret);
  };
  const token = async (rp: client.Configuration) => (await client.clientCredentialsGrant(rp)).access_token;

  // Day 1 (2026-01-01). A web app: two sign-ins through the pages (each redeems a code) and one refused.
  const web = await registerApp(s, t);
  ids.web = web.app.clientId;
  await codeFlow(s, web);
  await codeFlow(s, web);
  const browser = new TestBrowser();
  const page = await visit(browser, s, (await authorizationRequest(web)).url);
  assert.equal((await submitLogin(browser, s, page, { password: 'not the password' })).status, 401);
  // Environment credentials of the group: three tokens, each introspected by the credentials themselves once.
  const envCreds = await credentials(group.id, env.id);
  const envTokens = [await token(envCreds), await token(envCreds), await token(envCreds)];
  for (const issued of envTokens.slice(0, 2)) assert.equal((await introspect(envCreds, issued)).active, true);
  // Org-level credentials of the child and of the sibling: one token each.
  await token(await credentials(child.id, null));
  await token(await credentials(sibling.id, null));
  // A service app of the master: one token, and it introspects a token of the group's environment.
  const service = await registerServiceApp(c, t.owner, t.tenantId, s.issuer, [
    { organizationId: t.tenantId, permissions: ['analytics.view'] },
  ]);
  ids.service = service.app.clientId;
  await token(service.rp);
  assert.equal((await introspect(service.rp, envTokens[2]!)).active, true);
  // Another organization introspecting our token: counted for its own credentials, never for us.
  const other = await signUpTenant(c);
  ids.other = other.tenantId;
  const theirs = await c.credentials.read(other.owner, other.tenantId, {
    orgId: other.tenantId,
    environmentId: null,
  });
  const outsider = await relyingParty(s.issuer, theirs.clientId, theirs.clientSecret);
  assert.equal((await introspect(outsider, envTokens[0]!)).active, false);
  // Day 2: one more environment token.
  s.clock.advance(DAY);
  await token(envCreds);
  await c.usage.flush();
  return ids;
}

describe('admin API: analytics (ANL-1)', () => {
  const usage = (token: string, orgId: string, query = '?from=2026-01-01&to=2026-01-02') =>
    api.call('get', `/organizations/${orgId}/analytics${query}`, { token });

  /** The expected rows, per day, node, environment and app. */
  const expected = (): Row[] => [
    {
      day: '2026-01-01',
      organizationId: t.tenantId,
      environmentId: null,
      clientId: ids.web!,
      ...counts(2, 1, 2, 0),
    },
    {
      day: '2026-01-01',
      organizationId: t.tenantId,
      environmentId: null,
      clientId: ids.service!,
      ...counts(0, 0, 1, 0),
    },
    {
      day: '2026-01-01',
      organizationId: ids.group!,
      environmentId: ids.env!,
      clientId: null,
      ...counts(0, 0, 3, 3),
    },
    {
      day: '2026-01-01',
      organizationId: ids.child!,
      environmentId: null,
      clientId: null,
      ...counts(0, 0, 1, 0),
    },
    {
      day: '2026-01-01',
      organizationId: ids.sibling!,
      environmentId: null,
      clientId: null,
      ...counts(0, 0, 1, 0),
    },
    {
      day: '2026-01-02',
      organizationId: ids.group!,
      environmentId: ids.env!,
      clientId: null,
      ...counts(0, 0, 1, 0),
    },
  ];
  const byKey = (rows: Row[]) => new Map(rows.map((r) => [key(r), r]));

  test('ANL-1 the master sees every sign-in, token and introspection per day, app and environment', async () => {
    const res = await usage(owner, t.tenantId);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(byKey(res.body.rows), byKey(expected()));
    assert.deepEqual(res.body.days, [
      { day: '2026-01-01', ...counts(2, 1, 8, 3) },
      { day: '2026-01-02', ...counts(0, 0, 1, 0) },
    ]);
    assert.deepEqual(res.body.totals, counts(2, 1, 9, 3));
    const one = await usage(owner, t.tenantId, '?from=2026-01-02&to=2026-01-02');
    assert.deepEqual(one.body.totals, counts(0, 0, 1, 0));
    // The other organization's introspection counted for it, not for us.
    const otherOwner = await userToken(
      s.container,
      (await s.container.users.findForSignIn(ids.other!, 'founder'))!.id,
    );
    const theirs = await usage(otherOwner, ids.other!);
    assert.deepEqual(theirs.body.totals, counts(0, 0, 0, 1));
  });

  test('ANL-1 a business-group viewer sees the group and its descendants only', async () => {
    const viewer = await addUser(s.container, t.tenantId);
    await s.container.assignments.assign(t.owner, t.tenantId, {
      userId: viewer.id,
      roleId: analyticsViewer,
      organizationId: ids.group!,
    });
    const token = await userToken(s.container, viewer.id);
    const res = await usage(token, ids.group!);
    assert.equal(res.status, 200);
    const subtree = expected().filter(
      (r) => r.organizationId === ids.group || r.organizationId === ids.child,
    );
    assert.deepEqual(byKey(res.body.rows), byKey(subtree));
    assert.deepEqual(res.body.totals, counts(0, 0, 5, 3));
    for (const orgId of [t.tenantId, ids.sibling!]) {
      const refused = await usage(token, orgId);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.details.permission, 'analytics.view');
    }
  });

  test('ANL-1 a viewer of one environment sees that environment only', async () => {
    const viewer = await addUser(s.container, t.tenantId);
    await s.container.assignments.assign(t.owner, t.tenantId, {
      userId: viewer.id,
      roleId: analyticsViewer,
      organizationId: ids.group!,
      environmentId: ids.env!,
    });
    const token = await userToken(s.container, viewer.id);
    assert.equal((await usage(token, ids.group!)).status, 403);
    const res = await usage(token, ids.group!, `?from=2026-01-01&to=2026-01-02&environmentId=${ids.env}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.environmentId, ids.env);
    assert.deepEqual(res.body.totals, counts(0, 0, 4, 3));
    assert.ok(res.body.rows.every((r: Row) => r.environmentId === ids.env));
  });

  test('ANL-1 refused: no analytics.view (403), another organization (404), bad ranges (400)', async () => {
    const nobody = await userToken(s.container, (await addUser(s.container, t.tenantId)).id);
    assert.equal((await usage(nobody, t.tenantId)).status, 403);
    const stranger = await signUpTenant(s.container);
    const outsider = await userToken(s.container, stranger.user.id);
    const hidden = await usage(outsider, ids.group!);
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.code, 'organization.not_found');
    const cases: Array<[string, string]> = [
      ['?from=2026-02-30', 'from'],
      ['?from=2026-01-05&to=2026-01-01', 'to'],
      ['?from=2025-01-01&to=2026-01-02', 'from'],
      ['?environmentId=prod', 'environmentId'],
    ];
    for (const [query, field] of cases) {
      const res = await usage(owner, t.tenantId, query);
      assert.equal(res.status, 400, query);
      assert.ok(
        res.body.details.fields.some((f: { field: string }) => f.field === field),
        `${query}: ${JSON.stringify(res.body)}`,
      );
    }
    const unknown = await usage(owner, ids.group!, `?environmentId=${randomUUID()}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'environment.not_found');
    // Defaults: the 30 days ending today (the test clock's 2026-01-02).
    const recent = await usage(owner, t.tenantId, '');
    assert.equal(recent.body.days.length, 30);
    assert.equal(recent.body.to, '2026-01-02');
    assert.deepEqual(recent.body.totals, counts(2, 1, 9, 3));
  });
});
