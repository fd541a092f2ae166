import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountLinkIn } from '../helpers/account-mail.ts';
import { ApiClient, userToken } from '../helpers/api.ts';
import { eventually } from '../helpers/eventually.ts';
import { addUser, PASSWORD, signUpTenant } from '../helpers/factories.ts';
import { type ClusterNode, type OidcCluster, startOidcCluster } from '../helpers/oidc-cluster.ts';
import { clockToNow, isResetMail, openResetLink, verifyEmail } from '../helpers/password-reset.ts';
import { type Inbox, startInbox } from '../helpers/smtp-inbox.ts';
import { introspect, registerWebApp, relyingParty, signIn } from '../helpers/sso-session.ts';

// ACC-1 "every session and token of the user revoked on every node": a reset completed at node A
// makes the user's tokens inactive at node B, which had them in use. Node-to-node signals travel
// over Redis: without REDIS_URL the nodes share only the database, and this file is skipped.

const REDIS_URL = process.env.REDIS_URL;
const withoutRedis = REDIS_URL
  ? false
  : 'REDIS_URL is not set: node-to-node signals (Redis pub/sub) are not tested in this run';

describe('ACC-1 a reset at one node ends the tokens at every node', { skip: withoutRedis }, () => {
  let inbox: Inbox;
  let cluster: OidcCluster;
  before(async () => {
    inbox = await startInbox();
    cluster = await startOidcCluster(2, {
      clockStart: new Date(),
      config: { mail: { smtpUrl: `smtp://127.0.0.1:${inbox.port}` } },
    });
  });
  after(async () => {
    await cluster?.close();
    await inbox?.close();
  });

  test('ACC-1 a reset at node A: at node B the tokens in use are inactive at once, the admin API refuses its token, and a node started later too', async () => {
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const t = await signUpTenant(a.container);
    const user = await addUser(a.container, t.tenantId);
    await verifyEmail(a.container, user.id);
    const { app, secret } = await registerWebApp(a.container, t.owner, t.tenantId, cluster.issuer);
    const rpB = await relyingParty(cluster.issuer, app.clientId, secret, b.origin);
    const { tokens } = await signIn(rpB, { username: user.username, password: PASSWORD });
    const apiB = ApiClient.for(b.container);
    const apiToken = await userToken(b.container, user.id);
    // Node B uses both: its tenant index is loaded and current.
    assert.equal((await introspect(rpB, tokens.access_token)).active, true);
    assert.equal((await apiB.call('get', '/me', { token: apiToken })).status, 200);

    await a.container.accounts.reset.request(
      { actor: { kind: 'anonymous' }, requestId: 'test' },
      { tenantId: t.tenantId, identifier: user.username, ip: '192.0.2.1' },
    );
    await a.container.accounts.reset.settled();
    const link = accountLinkIn(await inbox.take(user.email, isResetMail), '/password-reset/');
    assert.ok(link.startsWith(cluster.issuer), 'the link names the public URL (node A here)');
    const page = await openResetLink(link);
    clockToNow(cluster);
    assert.equal((await page.submit('granite willow humming softly')).status, 200);

    assert.equal((await introspect(rpB, tokens.access_token)).active, false, 'access token at B');
    assert.equal((await introspect(rpB, tokens.refresh_token!)).active, false, 'refresh token at B');
    const refused = await eventually(
      async () => (await apiB.call('get', '/me', { token: apiToken })).status === 401,
    );
    assert.ok(refused, 'node B refuses the admin API token of before the reset');

    const c = await cluster.startNode();
    const apiC = ApiClient.for(c.container);
    assert.equal(
      (await apiC.call('get', '/me', { token: apiToken })).status,
      401,
      'a node started afterwards',
    );
  });
});
