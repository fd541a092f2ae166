import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CONSOLE_CLIENT_ID } from '../../src/oidc/tenancy.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { eventually } from '../helpers/eventually.ts';
import { signUpTenant } from '../helpers/factories.ts';
import { type ClusterNode, type OidcCluster, startOidcCluster } from '../helpers/oidc-cluster.ts';

// `/login/:domain` and the sign-in page answer from an in-memory domain lookup on every node
// (REL-2: they must keep answering under load). Being cached must not make ORG-3 slower: a changed
// or new domain is announced to every node (Redis pub/sub) the moment it is committed.

const withRedis = process.env.REDIS_URL
  ? false
  : 'REDIS_URL is not set: the nodes share no signal bus (several nodes need Redis), so only one node is tested';

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

let cluster: OidcCluster;
before(async () => {
  cluster = await startOidcCluster(2);
});
after(() => cluster.close());

/** `/login/<domain>` at a node: 303 to the console for a known domain, 404 otherwise. */
async function loginEntry(node: ClusterNode, domain: string): Promise<number> {
  const res = await fetch(new URL(`/login/${domain}`, node.origin), { redirect: 'manual' });
  await res.text();
  if (res.status === 303) assert.equal(res.headers.get('location'), `/console/?org=${domain}`);
  return res.status;
}

/** The console's sign-in page for the org `domain` names, opened at a node: its status and HTML. */
async function signInPage(node: ClusterNode, domain: string) {
  const url = new URL('/oidc/auth', node.origin);
  url.search = new URLSearchParams({
    client_id: CONSOLE_CLIENT_ID,
    response_type: 'code',
    redirect_uri: `${cluster.issuer}/console/`,
    scope: 'openid',
    code_challenge: 'a'.repeat(43),
    code_challenge_method: 'S256',
    org: domain,
  }).toString();
  const { res } = await new TestBrowser().follow(url, node.origin);
  return { status: res.status, html: await res.text() };
}

describe('ORG-3 REL-2 /login/:domain and the sign-in page from the cached domain lookup', () => {
  test('ORG-3 REL-2 on the node that made it, a domain change holds at once though both domains were cached', async () => {
    const [a] = cluster.nodes as [ClusterNode];
    const t = await signUpTenant(a.container, { companyName: 'Initech' });
    const old = t.organization.domain!;
    const renamed = unique('initech');
    // Both answers are in memory now: the old domain known, the new one unknown.
    assert.equal(await loginEntry(a, old), 303);
    assert.equal(await loginEntry(a, renamed), 404);
    assert.equal((await signInPage(a, old)).status, 200);

    await a.container.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, { domain: renamed });

    assert.equal(await loginEntry(a, old), 404, 'the old domain names nobody');
    assert.equal(await loginEntry(a, renamed), 303, 'the new domain signs in');
    const page = await signInPage(a, renamed);
    assert.equal(page.status, 200);
    assert.match(page.html, /Initech/);
    assert.notEqual((await signInPage(a, old)).status, 200, 'no sign-in page for the old domain');
  });

  test('ORG-3 REL-2 a domain changed on node A: node B stops resolving the old one and resolves the new one', {
    skip: withRedis,
  }, async () => {
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const t = await signUpTenant(a.container, { companyName: 'Hooli' });
    const old = t.organization.domain!;
    const renamed = unique('hooli');
    assert.equal(await loginEntry(b, old), 303);
    assert.equal(await loginEntry(b, renamed), 404);
    assert.equal((await signInPage(b, old)).status, 200);

    await a.container.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, { domain: renamed });

    assert.ok(
      await eventually(async () => (await loginEntry(b, old)) === 404),
      'node B still signs in at the old domain',
    );
    assert.equal(await loginEntry(b, renamed), 303, 'node B resolves the new domain');
    const page = await signInPage(b, renamed);
    assert.equal(page.status, 200);
    assert.match(page.html, /Hooli/);
  });

  test('ORG-1 REL-2 a new tenant’s domain works at once on every node, though it was just looked up as unknown', async () => {
    const nodes = withRedis ? cluster.nodes.slice(0, 1) : cluster.nodes;
    const domain = unique('newco');
    for (const node of nodes) assert.equal(await loginEntry(node, domain), 404);

    await signUpTenant(cluster.nodes[0]!.container, { domain });

    assert.equal(await loginEntry(cluster.nodes[0]!, domain), 303, 'at the node that signed it up');
    for (const node of nodes.slice(1))
      assert.ok(await eventually(async () => (await loginEntry(node, domain)) === 303), 'at the other node');
  });
});
