import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SignInRefused } from '../../src/federation/index.ts';
import { createOidcUpstream, type OidcUpstream } from '../../src/federation/oidc/oidc-upstream.ts';
import { createGuardedFetch } from '../../src/platform/net/guarded-fetch.ts';

// SEC-5: discovery is not the only fetch. A provider whose discovery document sends the token,
// JWKS and userinfo requests to an internal host must not get Canopy to make them: openid-client
// carries the guarded fetch from discovery into every later request.

async function listen(host: string, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    origin: `http://${host}:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('SEC-5 every request to an upstream OIDC provider goes through the guard', () => {
  let internal: Awaited<ReturnType<typeof listen>>;
  let provider: Awaited<ReturnType<typeof listen>>;
  // 127.0.0.2 stands for the provider's public address; everything else is internal.
  const fetch = createGuardedFetch({
    allowPrivateNetworks: true,
    refusal: (address) => (address === '127.0.0.2' ? undefined : `${address} is internal`),
  });
  const upstream = createOidcUpstream({ fetch, allowPrivateNetworks: true });

  before(async () => {
    internal = await listen('127.0.0.1', (_req, res) => res.end('{}'));
    provider = await listen('127.0.0.2', (req, res) => {
      if (req.url !== '/.well-known/openid-configuration') return void res.writeHead(404).end();
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          issuer: provider.origin,
          authorization_endpoint: `${provider.origin}/auth`,
          token_endpoint: `${internal.origin}/token`,
          jwks_uri: `${internal.origin}/jwks`,
          userinfo_endpoint: `${internal.origin}/me`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
    });
  });
  after(async () => {
    await fetch.close();
    await Promise.all([internal.close(), provider.close()]);
  });

  test('SEC-5 discovery at an allowed address, then token and JWKS on an internal one: refused, nothing reaches it', async () => {
    const p: OidcUpstream = {
      id: 'provider-1',
      clientSecret: 'upstream-secret',
      config: {
        issuer: provider.origin,
        clientId: 'canopy',
        scopes: ['openid'],
        groupsClaim: 'groups',
        usernameClaim: 'preferred_username',
        idTokenSigningAlgs: ['RS256'],
      },
    };
    const redirectUri = 'https://canopy.example.test/federation/oidc/provider-1/callback';
    let saved: Parameters<Parameters<typeof upstream.start>[3]>[0] | undefined;
    const at = await upstream.start(p, redirectUri, 'browser-1', async (data) => {
      saved = data;
      return 'state-1';
    });
    assert.equal(at.origin, provider.origin, 'the allowed provider was discovered');
    assert.ok(saved);
    const callback = new URL(`${redirectUri}?code=abc&state=state-1`);
    const err = await upstream.complete(p, callback, { state: 'state-1', data: saved }).then(
      () => assert.fail('the sign-in completed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SignInRefused, String(err));
    assert.match(err.message, /outbound fetch refused \(SEC-5\): 127\.0\.0\.1 is internal/);
    assert.equal(internal.connections(), 0, 'no request reached the internal host');
  });
});
