import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as client from 'openid-client';
import type { TestBrowser } from '../helpers/browser.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  assertSessionOver,
  authorize,
  introspect,
  refresh,
  registerWebApp,
  relyingParty,
  signIn,
  type Tokens,
  userinfo,
} from '../helpers/sso-session.ts';

// Timeouts judged by the injected clock. Assertions hold on both artefact stores: the SQL one
// expires access tokens (15 min) by that clock too, Redis by real time, so no step that relies on
// an access token is longer than 10 minutes, and refresh tokens (30 days) carry the rest.

const MINUTE = 60_000;

let s: OidcTestServer;
before(async () => {
  s = await startOidcServer();
});
after(() => s.close());

interface Signed {
  t: Tenant;
  rp: client.Configuration;
  tokens: Tokens;
  browser: TestBrowser;
}

/** A new tenant with these session settings, a first-party web app, and its founder signed in. */
async function signedIn(settings: {
  sessionTimeoutMinutes?: number;
  sessionMaxMinutes?: number;
}): Promise<Signed> {
  const t = await signUpTenant(s.container);
  if (Object.keys(settings).length > 0)
    await s.container.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, settings);
  const { rp } = await registerWebApp(s.container, t.owner, t.tenantId, s.issuer);
  const { tokens, browser } = await signIn(rp);
  return { t, rp, tokens, browser };
}

describe('SESS-2 idle timeout', () => {
  test('SESS-2 an idle session lapses after the master org timeout: tokens inactive, refresh and userinfo fail, sign-in asked again', async () => {
    const u = await signedIn({ sessionTimeoutMinutes: 20 });
    assert.equal((await introspect(u.rp, u.tokens.access_token)).active, true, 'active right after sign-in');
    s.clock.advance(21 * MINUTE);
    await assertSessionOver(u.rp, u.tokens, 'idle 21 min with a 20 min timeout', u.browser);
    // Signing in again opens a new, working session.
    const next = await authorize(u.rp, u.browser);
    assert.equal(next.kind, 'sign-in-page');
    if (next.kind !== 'sign-in-page') return;
    const fresh = await next.signIn();
    assert.equal((await introspect(u.rp, fresh.access_token)).active, true, 'the new session works');
  });

  test('SESS-2 the default timeout is 60 minutes', async () => {
    const u = await signedIn({});
    s.clock.advance(10 * MINUTE);
    const later = await refresh(u.rp, u.tokens); // slides to 10 + 60
    s.clock.advance(59 * MINUTE);
    const still = await refresh(u.rp, later);
    assert.equal((await introspect(u.rp, still.access_token)).active, true, 'idle 59 min < 60');
    s.clock.advance(61 * MINUTE);
    await assertSessionOver(u.rp, still, 'idle 61 min with the default 60 min timeout', u.browser);
  });

  // Each kind of use, on its own, moves the idle clock: used at 10 min, the session is still alive
  // at 20 min although a 15 min timeout counted from the sign-in would have ended it.
  const uses: Record<string, (u: Signed) => Promise<Tokens | undefined>> = {
    'a token refresh': (u) => refresh(u.rp, u.tokens),
    'a userinfo request': async (u) => {
      await userinfo(u.rp, u.tokens);
      return undefined;
    },
    'an introspection of the session-bound access token': async (u) => {
      assert.equal((await introspect(u.rp, u.tokens.access_token)).active, true);
      return undefined;
    },
    'an introspection by an API of the same master org (environment credentials)': async (u) => {
      const env = u.t.environments[0]!;
      const creds = await s.container.credentials.read(u.t.owner, u.t.tenantId, {
        orgId: u.t.tenantId,
        environmentId: env.id,
      });
      const api = await relyingParty(s.issuer, creds.clientId, creds.clientSecret);
      assert.equal((await introspect(api, u.tokens.access_token)).active, true);
      return undefined;
    },
    'an authorization request (a visit to the provider)': async (u) => {
      assert.equal((await authorize(u.rp, u.browser)).kind, 'signed-in');
      return undefined;
    },
  };
  for (const [name, use] of Object.entries(uses)) {
    test(`SESS-2 ${name} resets the idle clock`, async () => {
      const u = await signedIn({ sessionTimeoutMinutes: 15 });
      s.clock.advance(10 * MINUTE);
      const rotated = await use(u);
      if (rotated) u.tokens = rotated; // a refresh rotates the refresh token
      s.clock.advance(10 * MINUTE); // 20 min after sign-in, 10 min after the use
      const next = await refresh(u.rp, u.tokens);
      assert.equal((await introspect(u.rp, next.access_token)).active, true);
      s.clock.advance(16 * MINUTE);
      await assertSessionOver(u.rp, next, 'idle 16 min after the last use');
    });
  }

  test('SESS-2 steady activity keeps a session alive far beyond the timeout', async () => {
    const u = await signedIn({ sessionTimeoutMinutes: 20 });
    let tokens = u.tokens;
    // Every 10 minutes for 2 hours, one of the uses in turn; no access token is older than 10 min when used.
    for (let step = 1; step <= 12; step++) {
      s.clock.advance(10 * MINUTE);
      const at = `${step * 10} min after sign-in`;
      switch (step % 4) {
        case 1:
          tokens = await refresh(u.rp, tokens).catch((err: Error) =>
            assert.fail(`${at}: refresh: ${err.message}`),
          );
          break;
        case 2:
          await userinfo(u.rp, tokens).catch((err: Error) => assert.fail(`${at}: userinfo: ${err.message}`));
          break;
        case 3: {
          const next = await authorize(u.rp, u.browser);
          assert.equal(next.kind, 'signed-in', `${at}: asked to sign in again`);
          if (next.kind === 'signed-in') tokens = next.tokens;
          break;
        }
        default:
          assert.equal((await introspect(u.rp, tokens.access_token)).active, true, `${at}: introspection`);
      }
    }
  });

  test('SESS-2 token refreshes alone keep a session alive beyond an hour', async () => {
    const u = await signedIn({ sessionTimeoutMinutes: 30 });
    let tokens = u.tokens;
    for (let minutes = 10; minutes <= 100; minutes += 10) {
      s.clock.advance(10 * MINUTE);
      tokens = await refresh(u.rp, tokens).catch((err: Error) =>
        assert.fail(`refresh ${minutes} min after sign-in (every 10 min, 30 min timeout): ${err.message}`),
      );
    }
    assert.equal((await introspect(u.rp, tokens.access_token)).active, true);
    assert.equal((await authorize(u.rp, u.browser)).kind, 'signed-in', 'no new sign-in needed');
  });
});

describe('SESS-3 absolute lifetime', () => {
  test('SESS-3 the absolute lifetime wins over continuous activity', async () => {
    const u = await signedIn({ sessionTimeoutMinutes: 60, sessionMaxMinutes: 30 });
    let tokens = u.tokens;
    for (const minutes of [10, 20]) {
      s.clock.advance(10 * MINUTE);
      tokens = await refresh(u.rp, tokens);
      assert.equal((await authorize(u.rp, u.browser)).kind, 'signed-in', `${minutes} min: still signed in`);
    }
    s.clock.advance(10 * MINUTE + 1_000); // 30 min after sign-in, 10 min after the last use
    await assertSessionOver(u.rp, tokens, '30 min after sign-in with a 30 min absolute lifetime', u.browser);
  });

  test('SESS-3 the default absolute lifetime is 12 hours', async () => {
    const u = await signedIn({ sessionTimeoutMinutes: 180 });
    let tokens = u.tokens;
    // A visit to the provider every 45 min for 11 h 15 min: never idle for long.
    for (let minutes = 45; minutes < 720; minutes += 45) {
      s.clock.advance(45 * MINUTE);
      const next = await authorize(u.rp, u.browser);
      assert.equal(next.kind, 'signed-in', `${minutes} min after sign-in: asked to sign in`);
      if (next.kind === 'signed-in') tokens = next.tokens;
    }
    s.clock.advance(45 * MINUTE + 1_000); // 12 h after sign-in, 45 min after the last visit
    await assertSessionOver(u.rp, tokens, '12 h after sign-in with the default absolute lifetime', u.browser);
  });
});

describe('SESS-4 changed timeouts', () => {
  test('SESS-4 a shortened idle timeout ends an open session at its next request', async () => {
    const u = await signedIn({ sessionTimeoutMinutes: 60 });
    s.clock.advance(20 * MINUTE);
    await s.container.organizations.updateSettings(u.t.owner, u.t.tenantId, u.t.tenantId, {
      sessionTimeoutMinutes: 15,
    });
    await assertSessionOver(u.rp, u.tokens, 'idle 20 min, timeout shortened from 60 to 15 min', u.browser);
  });

  test('SESS-4 a lengthened idle timeout keeps an open session alive', async () => {
    const u = await signedIn({ sessionTimeoutMinutes: 15 });
    await s.container.organizations.updateSettings(u.t.owner, u.t.tenantId, u.t.tenantId, {
      sessionTimeoutMinutes: 30,
    });
    s.clock.advance(20 * MINUTE);
    const next = await refresh(u.rp, u.tokens).catch((err: Error) =>
      assert.fail(`idle 20 min after the timeout went from 15 to 30 min: ${err.message}`),
    );
    s.clock.advance(31 * MINUTE);
    await assertSessionOver(u.rp, next, 'idle 31 min with a 30 min timeout', u.browser);
  });

  test('SESS-4 a shortened absolute lifetime ends an open session at its next request', async () => {
    const u = await signedIn({ sessionTimeoutMinutes: 60 });
    s.clock.advance(10 * MINUTE);
    const tokens = await refresh(u.rp, u.tokens);
    s.clock.advance(10 * MINUTE); // 20 min after sign-in, 10 min idle
    await s.container.organizations.updateSettings(u.t.owner, u.t.tenantId, u.t.tenantId, {
      sessionMaxMinutes: 15,
    });
    await assertSessionOver(u.rp, tokens, '20 min after sign-in, absolute lifetime cut to 15 min', u.browser);
  });

  test('SESS-4 the timeout of one master org does not touch the sessions of another', async () => {
    const a = await signedIn({ sessionTimeoutMinutes: 60 });
    const b = await signedIn({ sessionTimeoutMinutes: 60 });
    s.clock.advance(20 * MINUTE);
    await s.container.organizations.updateSettings(a.t.owner, a.t.tenantId, a.t.tenantId, {
      sessionTimeoutMinutes: 15,
    });
    await assertSessionOver(a.rp, a.tokens, 'tenant A shortened its timeout');
    const next = await refresh(b.rp, b.tokens).catch((err: Error) =>
      assert.fail(`tenant B's session ended by tenant A's setting: ${err.message}`),
    );
    assert.equal((await introspect(b.rp, next.access_token)).active, true);
  });
});
