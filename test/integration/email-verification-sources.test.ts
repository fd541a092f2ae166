import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { toProfile } from '../../src/federation/saml/saml-profile.ts';
import { federationUrls } from '../../src/modules/identity-providers/index.ts';
import { outboxMessages } from '../helpers/account-mail.ts';
import { ApiClient, userToken } from '../helpers/api.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { federate } from '../helpers/federation-flow.ts';
import { OIDC_SECRET, oidcProvider } from '../helpers/idp-fixtures.ts';
import { invitationLinkIn, tokenOf } from '../helpers/invitation-mail.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { authorizationRequest, type RelyingParty, redeem, registerApp } from '../helpers/sso-flow.ts';
import {
  LOCAL_IDP_CONFIG,
  startUpstreamIdp,
  type UpstreamAccount,
  type UpstreamIdp,
} from '../helpers/upstream-idp.ts';

// ACC-3: addresses that arrive proven. An invitation link went to the address, so the account it
// creates is verified; an OpenID provider that says `email_verified: true` vouches for its user's
// address (and a later `false`, or a new address it does not vouch for, takes that back). SAML has
// no standard way to say so: its users are never verified. None of these users is mailed a link.

let s: OidcTestServer;
let upstream: UpstreamIdp;
let dataDir: string;
let t: Tenant;
let rp: RelyingParty;
let providerId: string;
let n = 0;

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-verify-sources-'));
  s = await startOidcServer({ config: { ...LOCAL_IDP_CONFIG, storage: { dataDir } } });
  upstream = await startUpstreamIdp();
  t = await signUpTenant(s.container, { companyName: 'Globex', domain: `globex${process.pid}` });
  rp = await registerApp(s, t, { name: 'Wiki' });
  const provider = await s.container.identityProviders.create(
    t.owner,
    t.tenantId,
    oidcProvider('Globex Login', {
      issuer: upstream.issuer,
      clientId: 'canopy',
      scopes: ['openid', 'profile', 'email'],
    }),
  );
  providerId = provider.id;
  upstream.start([
    {
      client_id: 'canopy',
      client_secret: OIDC_SECRET,
      redirect_uris: [federationUrls(s.issuer, providerId).oidcRedirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ]);
});
after(async () => {
  await s?.close();
  await upstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const flagOf = async (userId: string) =>
  (await s.container.database.knex('users').where({ id: userId }).first()) as {
    email: string;
    email_verified: boolean;
  };

describe('ACC-3 an invitation link proves the address', () => {
  test('ACC-3 INV-3 accepting an invitation creates a verified user, and mails no verification link', async () => {
    const c = s.container;
    const email = `invitee${process.pid}x${++n}@example.test`;
    const [sent] = await c.invitations.invite(t.owner, t.tenantId, t.tenantId, { emails: [email] });
    assert.equal(sent?.delivery, 'sent');
    const [mail, ...more] = await outboxMessages(dataDir, email);
    assert.equal(more.length, 0);
    const accepted = await c.invitations.accept(
      tokenOf(invitationLinkIn(mail!)),
      { username: `ivy${process.pid}x${n}`, name: 'Ivy Invitee', password: PASSWORD },
      'req-accept',
    );
    assert.equal(accepted.user.emailVerified, true);
    assert.equal((await flagOf(accepted.user.id)).email_verified, true);
    assert.equal((await outboxMessages(dataDir, email)).length, 1, 'only the invitation was mailed');
  });
});

describe('ACC-3 FED-3 what an identity provider says', () => {
  /** The whole federated sign-in in a fresh browser: the claims of the ID token the app gets. */
  async function signInAs(account: UpstreamAccount) {
    upstream.signInAs({ groups: [], ...account });
    const request = await authorizationRequest(rp, { scope: 'openid profile email' });
    const end = await federate(new TestBrowser(), s, request, 'Globex Login');
    assert.ok(end.caught, `expected a redirect back to the app, got ${end.status}\n${end.html}`);
    return (await redeem(rp, request, end.location)).claims()!;
  }
  const address = (who: string) => `${who}${process.pid}x${++n}@globex.test`;

  test('ACC-3 an OpenID provider saying email_verified true makes the address verified, in the ID token too; false does not', async () => {
    const trusted = address('vera');
    const vera = await signInAs({ sub: `vera-${n}`, email: trusted, email_verified: true });
    assert.equal(vera.email_verified, true);
    assert.deepEqual(await flagOf(vera.sub), {
      ...(await flagOf(vera.sub)),
      email: trusted,
      email_verified: true,
    });
    const unsure = address('uma');
    const uma = await signInAs({ sub: `uma-${n}`, email: unsure, email_verified: false });
    assert.equal(uma.email_verified, false);
    assert.equal((await flagOf(uma.sub)).email_verified, false);
    const silent = await signInAs({ sub: `sid-${n}`, email: address('sid') });
    assert.equal(silent.email_verified, false, 'no claim is not a yes');
    for (const who of [trusted, unsure])
      assert.equal((await outboxMessages(dataDir, who)).length, 0, 'no link mailed');
  });

  test('ACC-3 a later false, or a new address the provider does not vouch for, takes it back; a later true gives it', async () => {
    const sub = `wes-${++n}`;
    const first = address('wes');
    const userId = (await signInAs({ sub, email: first, email_verified: true })).sub;
    assert.equal((await flagOf(userId)).email_verified, true);

    assert.equal((await signInAs({ sub, email: first, email_verified: false })).email_verified, false);
    assert.equal((await flagOf(userId)).email_verified, false, 'false clears it');
    assert.equal((await signInAs({ sub, email: first, email_verified: true })).email_verified, true);

    const moved = address('wes-new');
    const claims = await signInAs({ sub, email: moved });
    assert.deepEqual(
      [claims.email, claims.email_verified],
      [moved, false],
      'a new unvouched address is unverified',
    );
    assert.deepEqual(await flagOf(userId), {
      ...(await flagOf(userId)),
      email: moved,
      email_verified: false,
    });
    assert.equal((await signInAs({ sub, email: moved, email_verified: true })).email_verified, true);
    const updates = await s.container.database
      .knex('audit_log')
      .where({ target_id: userId, action: 'user.update' })
      .orderBy('id')
      .pluck('after');
    assert.deepEqual(
      updates.map((a: { emailVerified: boolean }) => a.emailVerified),
      [false, true, false, true],
      'each change of the flag is audited',
    );

    // Nobody sends a provider's user a link: the provider says whether the address is verified.
    const resend = await ApiClient.for(s.container).call('post', `/users/${userId}/verification-email`, {
      token: await userToken(s.container, t.user.id),
    });
    assert.equal(resend.status, 409);
    assert.equal(resend.body.code, 'user.not_local');
  });

  test('ACC-3 a SAML assertion never makes an address verified, whatever attribute it carries', () => {
    const profile = toProfile(
      { attributes: { email: 'sam@globex.test', email_verified: 'true', emailVerified: ['true'] } } as never,
      { value: 'sam', format: null },
      { email: 'email', name: 'name', username: 'username', groups: 'groups' },
    );
    assert.equal(profile.email, 'sam@globex.test');
    assert.equal(profile.emailVerified, undefined);
  });
});
