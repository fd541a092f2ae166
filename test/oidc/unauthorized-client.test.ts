import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { REDIRECT_URI, registerServiceApp, registerWebApp } from '../helpers/sso-session.ts';

// RFC 6749 §5.2 (and RFC 8628 §3.2 for the device authorization endpoint): a client asking for a
// grant type it is not registered for gets `unauthorized_client`, not `invalid_request`.

let s: OidcTestServer;
let t: Tenant;
let web: { clientId: string; secret: string };
let service: { clientId: string; secret: string };
before(async () => {
  s = await startOidcServer();
  t = await signUpTenant(s.container);
  const w = await registerWebApp(s.container, t.owner, t.tenantId, s.issuer);
  web = { clientId: w.app.clientId, secret: w.secret };
  const sa = await registerServiceApp(s.container, t.owner, t.tenantId, s.issuer, [
    { organizationId: t.tenantId, permissions: ['audit.view'] },
  ]);
  service = { clientId: sa.app.clientId, secret: sa.secret };
});
after(() => s.close());

/** A form POST to a provider endpoint, authenticated with the client's secret (HTTP Basic). */
async function post(path: string, as: { clientId: string; secret: string }, form: Record<string, string>) {
  const basic = Buffer.from(`${encodeURIComponent(as.clientId)}:${encodeURIComponent(as.secret)}`);
  const res = await fetch(new URL(path, s.issuer), {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic.toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; error_description?: string } };
}

describe('APP-1 unauthorized_client for a grant type the client is not registered for (RFC 6749 §5.2)', () => {
  test('APP-1 a service app asking for authorization_code or refresh_token: 400 unauthorized_client', async () => {
    const code = await post('/oidc/token', service, {
      grant_type: 'authorization_code',
      code: 'any-code',
      redirect_uri: REDIRECT_URI,
      code_verifier: 'v'.repeat(43),
    });
    assert.equal(code.status, 400);
    assert.equal(code.body.error, 'unauthorized_client', JSON.stringify(code.body));
    const refresh = await post('/oidc/token', service, { grant_type: 'refresh_token', refresh_token: 'any' });
    assert.equal(refresh.status, 400);
    assert.equal(refresh.body.error, 'unauthorized_client', JSON.stringify(refresh.body));
    assert.match(String(refresh.body.error_description), /not allowed for this client/);
  });

  test('APP-1 a web app asking for client_credentials, or for a device code: 400 unauthorized_client', async () => {
    const credentials = await post('/oidc/token', web, { grant_type: 'client_credentials' });
    assert.equal(credentials.status, 400);
    assert.equal(credentials.body.error, 'unauthorized_client', JSON.stringify(credentials.body));
    const device = await post('/oidc/device/auth', web, { scope: 'openid', org: t.organization.domain! });
    assert.equal(device.status, 400);
    assert.equal(device.body.error, 'unauthorized_client', JSON.stringify(device.body));
  });

  test('APP-1 other refusals keep their codes: an unknown grant type, a missing one, a wrong secret', async () => {
    const unknown = await post('/oidc/token', web, { grant_type: 'password' });
    assert.equal(unknown.body.error, 'unsupported_grant_type');
    const missing = await post('/oidc/token', web, {});
    assert.equal(missing.body.error, 'invalid_request');
    const wrong = await post(
      '/oidc/token',
      { ...service, secret: 'not-the-secret' },
      {
        grant_type: 'refresh_token',
        refresh_token: 'any',
      },
    );
    assert.equal(wrong.status, 401);
    assert.equal(
      wrong.body.error,
      'invalid_client',
      'no grant-type answer before the client is authenticated',
    );
  });
});
