import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addUser, signUpTenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  assertSessionOver,
  authorize,
  introspect,
  refresh,
  registerWebApp,
  signIn,
  userinfo,
} from '../helpers/sso-session.ts';

// USR-3: disabling or deleting a user ends their sessions and makes their tokens inactive at once
// (no clock moves here: every token is well inside its lifetime), and enabling does not revive them.

let s: OidcTestServer;
before(async () => {
  s = await startOidcServer();
});
after(() => s.close());

/** A tenant, its web app, and a second (non-owner) user signed in twice: two sessions, two browsers. */
async function signedInUser() {
  const c = s.container;
  const t = await signUpTenant(c);
  const user = await addUser(c, t.tenantId);
  const { rp } = await registerWebApp(c, t.owner, t.tenantId, s.issuer);
  const first = await signIn(rp, { username: user.username });
  const second = await signIn(rp, { username: user.username });
  const founder = await signIn(rp);
  for (const tokens of [first.tokens, second.tokens, founder.tokens])
    assert.equal((await introspect(rp, tokens.access_token)).active, true);
  return { t, user, rp, first, second, founder };
}

test('USR-3 disabling a signed-in user ends every session and token at once', async () => {
  const { t, user, rp, first, second, founder } = await signedInUser();
  await s.container.users.disable(t.owner, t.tenantId, user.id);
  await assertSessionOver(rp, first.tokens, 'first session of a disabled user', first.browser);
  await assertSessionOver(rp, second.tokens, 'second session of a disabled user', second.browser);
  // Someone else's session is untouched.
  assert.equal((await introspect(rp, founder.tokens.access_token)).active, true, 'the founder is unaffected');
  await userinfo(rp, founder.tokens);
  // A disabled user cannot sign in again.
  const page = await authorize(rp, first.browser);
  assert.equal(page.kind, 'sign-in-page');
  if (page.kind === 'sign-in-page')
    await assert.rejects(page.signIn(user.username), /sign-in did not finish/);
});

test('USR-3 enabling the user again does not revive the ended sessions or tokens', async () => {
  const { t, user, rp, first } = await signedInUser();
  await s.container.users.disable(t.owner, t.tenantId, user.id);
  await s.container.users.enable(t.owner, t.tenantId, user.id);
  await assertSessionOver(rp, first.tokens, 'tokens issued before the user was disabled', first.browser);
  // The enabled user signs in afresh, and those tokens work.
  const again = await signIn(rp, { username: user.username });
  assert.equal((await introspect(rp, again.tokens.access_token)).active, true);
  const claims = await userinfo(rp, again.tokens);
  assert.equal(claims.sub, user.id);
  await refresh(rp, again.tokens);
});

test('USR-3 deleting a signed-in user ends every session and token at once', async () => {
  const { t, user, rp, first, second, founder } = await signedInUser();
  await s.container.users.delete(t.owner, t.tenantId, user.id);
  await assertSessionOver(rp, first.tokens, 'session of a deleted user', first.browser);
  await assertSessionOver(rp, second.tokens, 'other session of a deleted user');
  assert.equal((await introspect(rp, founder.tokens.access_token)).active, true, 'the founder is unaffected');
});
