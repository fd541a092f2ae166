import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { federationUrls } from '../../src/modules/identity-providers/index.ts';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { inputValue, TestBrowser } from '../helpers/browser.ts';
import { addBusinessGroup, addUser, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { federate, followAll, passwordFormAction, providerButtons } from '../helpers/federation-flow.ts';
import { OIDC_SECRET, oidcProvider } from '../helpers/idp-fixtures.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { authorizationRequest, type RelyingParty, redeem, registerApp, visit } from '../helpers/sso-flow.ts';
import { LOCAL_IDP_CONFIG, startUpstreamIdp, type UpstreamIdp } from '../helpers/upstream-idp.ts';

type OrgRoles = { org: string; roles: string[] }[];

describe('FED-2 FED-3 FED-4 FED-7 sign-in through a company OpenID provider', () => {
  let canopy: OidcTestServer;
  let upstream: UpstreamIdp;
  let t: Tenant;
  let rp: RelyingParty;
  let providerId: string;
  let engineersRole: string;
  let bgId: string;
  before(async () => {
    canopy = await startOidcServer({ config: LOCAL_IDP_CONFIG });
    upstream = await startUpstreamIdp();
    const c = canopy.container;
    t = await signUpTenant(c, { companyName: 'Globex' });
    rp = await registerApp(canopy, t, { name: 'Wiki' });
    const provider = await c.identityProviders.create(
      t.owner,
      t.tenantId,
      oidcProvider('Globex Login', {
        issuer: upstream.issuer,
        clientId: 'canopy',
        scopes: ['openid', 'profile', 'email', 'groups'],
      }),
    );
    providerId = provider.id;
    upstream.start([
      {
        client_id: 'canopy',
        client_secret: OIDC_SECRET,
        redirect_uris: [federationUrls(canopy.issuer, providerId).oidcRedirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ]);
    engineersRole = (
      await c.roles.create(t.owner, t.tenantId, { name: 'Engineers', permissions: ['audit.view'] })
    ).id;
    bgId = (await addBusinessGroup(c, t, t.tenantId)).id;
    const map = (group: string, roleId: string, organizationId: string) =>
      c.groupMappings.create(t.owner, t.tenantId, providerId, { group, roleId, organizationId });
    await map('engineers', engineersRole, t.tenantId);
    await map('bg-admins', ORGANIZATION_ADMINISTRATORS.id, bgId);
  });
  after(async () => {
    await canopy.close();
    await upstream.close();
  });

  /** The whole flow in a fresh browser: the tokens the app gets. */
  async function signInThrough(account: Parameters<UpstreamIdp['signInAs']>[0]) {
    upstream.signInAs(account);
    const browser = new TestBrowser();
    const request = await authorizationRequest(rp, { scope: 'openid profile email' });
    const end = await federate(browser, canopy, request, 'Globex Login');
    assert.ok(
      end.caught,
      `expected a redirect back to the app, got ${end.status} at ${end.location}\n${end.html}`,
    );
    const tokens = await redeem(rp, request, end.location);
    return { tokens, claims: tokens.claims()!, loginPage: end.loginPage };
  }

  const rolesIn = (claims: Record<string, unknown>, org: string) =>
    (claims.org_roles as OrgRoles)
      .filter((l) => l.org === org)
      .flatMap((l) => l.roles)
      .sort();
  const users = () =>
    canopy.container.database.knex('users').where({ tenant_id: t.tenantId }).count('* as n');

  test('FED-2 the login page offers the provider (a CSRF-protected POST) beside the password form, CSP allowing it', async () => {
    const page = await visit(new TestBrowser(), canopy, (await authorizationRequest(rp)).url);
    assert.deepEqual(
      providerButtons(page.html).map((b) => b.name),
      ['Globex Login'],
    );
    assert.ok(passwordFormAction(page.html), 'FED-5: the org still has local users, so the form stays');
    assert.ok(inputValue(page.html, 'csrf'));
    assert.match(
      page.headers.get('content-security-policy') ?? '',
      new RegExp(`form-action[^;]*${upstream.issuer}`),
    );
  });

  test('FED-3 FED-4 FED-7 first sign-in: a just-in-time user with the roles the groups map to, in the same session and tokens as a local sign-in', async () => {
    const { claims } = await signInThrough({
      sub: 'emp-1',
      preferred_username: 'eve',
      email: 'eve@globex.test',
      name: 'Eve Engineer',
      groups: ['engineers', 'bg-admins'],
    });
    assert.equal(claims.org_id, t.tenantId);
    assert.deepEqual(rolesIn(claims, t.tenantId), ['Engineers']);
    assert.deepEqual(rolesIn(claims, bgId), [ORGANIZATION_ADMINISTRATORS.name]);
    assert.equal(claims.preferred_username, 'eve');
    assert.equal(claims.email, 'eve@globex.test');
    const user = await canopy.container.database.knex('users').where({ id: claims.sub }).first();
    assert.equal(user.password_hash, null);
  });

  test('FED-4 the next sign-in reconciles: a removed group takes its role; hand-made roles and an owner’s protected Organization Administrators stay (ORG-5)', async () => {
    const c = canopy.container;
    const first = await signInThrough({
      sub: 'emp-2',
      preferred_username: 'olga',
      groups: ['engineers', 'bg-admins'],
    });
    const userId = first.claims.sub;
    const manual = await c.roles.create(t.owner, t.tenantId, {
      name: 'Hand made',
      permissions: ['analytics.view'],
    });
    await c.assignments.assign(t.owner, t.tenantId, { userId, roleId: manual.id, organizationId: bgId });
    await c.organizations.transferOwnership(t.owner, t.tenantId, bgId, { ownerUserId: userId });
    const second = await signInThrough({ sub: 'emp-2', preferred_username: 'olga', groups: [] });
    assert.equal(second.claims.sub, userId);
    assert.deepEqual(rolesIn(second.claims, t.tenantId), [], 'Engineers went with the group');
    assert.deepEqual(rolesIn(second.claims, bgId), ['Hand made', ORGANIZATION_ADMINISTRATORS.name].sort());
    await c.organizations.transferOwnership(t.owner, t.tenantId, bgId, { ownerUserId: t.user.id });
  });

  test("FED-3 nOAuth: an upstream user whose unverified email is a local user's gets a new account, never the local one", async () => {
    const victim = await addUser(canopy.container, t.tenantId);
    const { claims } = await signInThrough({
      sub: 'attacker',
      email: victim.email,
      email_verified: false,
      preferred_username: victim.username,
      groups: [],
    });
    assert.notEqual(claims.sub, victim.id);
    assert.notEqual(claims.preferred_username, victim.username);
  });

  test('FED-1 FED-2 a disabled provider, or one of another org named in the URL, is refused and nothing is created', async () => {
    const c = canopy.container;
    const other = await signUpTenant(c, { companyName: 'Initech' });
    const foreign = await c.identityProviders.create(
      other.owner,
      other.tenantId,
      oidcProvider('Initech Login', { issuer: upstream.issuer, clientId: 'canopy' }),
    );
    const browser = new TestBrowser();
    const page = await visit(browser, canopy, (await authorizationRequest(rp)).url);
    const [button] = providerButtons(page.html);
    const csrf = inputValue(page.html, 'csrf')!;
    const before = await users();
    const crossTenant = new URL(button!.action.replace(providerId, foreign.id), canopy.issuer);
    const refused = await followAll(browser, crossTenant, { form: { csrf } });
    assert.equal(refused.status, 400);
    assert.match(refused.html, /This sign-in method is not available/);
    assert.equal(refused.location.origin, canopy.issuer, 'never sent to the other org’s provider');
    await c.identityProviders.update(t.owner, t.tenantId, providerId, { enabled: false });
    try {
      const again = await visit(browser, canopy, (await authorizationRequest(rp)).url);
      assert.deepEqual(providerButtons(again.html), [], 'a disabled provider is not offered');
      const action = `${again.location.pathname}/federate/${providerId}`;
      const disabled = await followAll(browser, new URL(action, canopy.issuer), {
        form: { csrf: inputValue(again.html, 'csrf')! },
      });
      assert.equal(disabled.status, 400);
      assert.match(disabled.html, /not available/);
    } finally {
      await c.identityProviders.update(t.owner, t.tenantId, providerId, { enabled: true });
    }
    assert.deepEqual(await users(), before);
    const failures = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'session.sign_in', outcome: 'failure' });
    assert.ok(failures.length >= 2, 'AUD-1: refused federated sign-ins are audited');
  });
});
