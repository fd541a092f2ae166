import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { federationUrls } from '../../src/modules/identity-providers/index.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { federate, followAll } from '../helpers/federation-flow.ts';
import { samlProvider } from '../helpers/idp-fixtures.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  buildResponse,
  encode,
  makeKeyPair,
  requestIdOf,
  sign,
  type TestKeyPair,
} from '../helpers/saml-idp.ts';
import { authorizationRequest, type RelyingParty, redeem, registerApp } from '../helpers/sso-flow.ts';

// The SAML protocol's own attack corpus is in saml-attacks.test.ts; here, the route through Canopy:
// login page → AuthnRequest → the company's IdP (simulated: a signed response) → ACS → session.

const IDP = 'https://idp.globex.test';
type OrgRoles = { org: string; roles: string[] }[];

describe('FED-2 FED-3 FED-4 FED-6 sign-in through a company SAML provider', () => {
  let canopy: OidcTestServer;
  let t: Tenant;
  let rp: RelyingParty;
  let providerId: string;
  let idpKeys: TestKeyPair;
  before(async () => {
    canopy = await startOidcServer();
    const c = canopy.container;
    idpKeys = makeKeyPair('globex-idp');
    t = await signUpTenant(c, { companyName: 'Globex' });
    rp = await registerApp(canopy, t, { name: 'Wiki' });
    providerId = (
      await c.identityProviders.create(
        t.owner,
        t.tenantId,
        samlProvider('Globex SSO', {
          entityId: `${IDP}/metadata`,
          ssoUrl: `${IDP}/sso`,
          signingCertificates: [idpKeys.cert],
        }),
      )
    ).id;
    const viewers = await c.roles.create(t.owner, t.tenantId, {
      name: 'Viewers',
      permissions: ['audit.view'],
    });
    await c.groupMappings.create(t.owner, t.tenantId, providerId, {
      group: 'staff',
      roleId: viewers.id,
      organizationId: t.tenantId,
    });
  });
  after(() => canopy.close());

  /** Up to the IdP: the browser, and the AuthnRequest's id and RelayState the IdP would receive. */
  async function startAtIdp() {
    const browser = new TestBrowser();
    const request = await authorizationRequest(rp, { scope: 'openid profile email' });
    const stop = await federate(browser, canopy, request, 'Globex SSO', (u) => u.origin === IDP);
    assert.ok(stop.caught, `expected a redirect to the IdP, got ${stop.status}\n${stop.html}`);
    assert.equal(stop.location.pathname, '/sso');
    return {
      browser,
      request,
      requestId: requestIdOf(stop.location.href),
      relayState: stop.location.searchParams.get('RelayState') ?? '',
    };
  }

  /** What the IdP posts back for that request, signed by `keys`. */
  function answer(requestId: string, nameId: string, groups: string[], keys = idpKeys) {
    const urls = federationUrls(canopy.issuer, providerId);
    const xml = buildResponse({
      now: canopy.container.clock.now(),
      idpEntityId: `${IDP}/metadata`,
      acsUrl: urls.acsUrl,
      audience: urls.spEntityId,
      inResponseTo: requestId,
      nameId,
      attributes: { uid: nameId, email: `${nameId}@globex.test`, displayName: 'Sam Staff', groups },
    });
    return encode(sign(xml, keys));
  }

  const post = (browser: TestBrowser, form: Record<string, string>) =>
    followAll(browser, new URL(federationUrls(canopy.issuer, providerId).acsUrl), { form });
  const userCount = async () =>
    Number(
      (await canopy.container.database.knex('users').where({ tenant_id: t.tenantId }).count('* as n'))[0]!.n,
    );

  test('FED-3 FED-4 FED-6 a signed answer to our request signs a new employee in, with the roles their groups map to', async () => {
    const { browser, request, requestId, relayState } = await startAtIdp();
    const end = await post(browser, {
      SAMLResponse: answer(requestId, 'sam', ['staff']),
      RelayState: relayState,
    });
    assert.ok(end.caught, `expected a redirect back to the app, got ${end.status}\n${end.html}`);
    const claims = (await redeem(rp, request, end.location)).claims()!;
    assert.equal(claims.org_id, t.tenantId);
    assert.equal(claims.preferred_username, 'sam');
    const roles = (claims.org_roles as OrgRoles).filter((l) => l.org === t.tenantId).flatMap((l) => l.roles);
    assert.deepEqual(roles, ['Viewers']);
  });

  test('FED-6 a replayed answer, an answer signed by another key, or one for another request creates nothing', async () => {
    const before = await userCount();
    const first = await startAtIdp();
    const good = answer(first.requestId, 'ria', []);
    const ok = await post(first.browser, { SAMLResponse: good, RelayState: first.relayState });
    assert.ok(ok.caught, ok.html);
    assert.equal(await userCount(), before + 1);

    const replay = await post(first.browser, { SAMLResponse: good, RelayState: first.relayState });
    assert.equal(replay.status, 400, 'the flow was used: the replay finds nothing');

    const second = await startAtIdp();
    const forged = answer(second.requestId, 'mallory', [], makeKeyPair('attacker'));
    const refused = await post(second.browser, { SAMLResponse: forged, RelayState: second.relayState });
    assert.equal(refused.status, 400);
    assert.match(refused.html, /could not be verified/);

    const third = await startAtIdp();
    const other = await startAtIdp();
    const crossed = answer(other.requestId, 'mallory', []);
    const mixed = await post(third.browser, { SAMLResponse: crossed, RelayState: third.relayState });
    assert.equal(mixed.status, 400, 'an answer to another request is refused');
    assert.equal(await userCount(), before + 1);
  });
});
