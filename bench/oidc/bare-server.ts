// Child process of `npm run bench -- oidc`: the ceiling. A plain oidc-provider with its default
// in-memory adapter, two static clients with plain secrets and no org logic, mounted as Canopy
// mounts it (Express 5 handing `/oidc/…` to `provider.callback()`), issuing opaque tokens.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Provider } from 'oidc-provider';
import { serveCalls } from './ipc.ts';
import { createProfiler } from './profiler.ts';

const server = createServer();
server.keepAliveTimeout = 30_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const secret = () => randomBytes(32).toString('base64url');
const tokenClient = { id: 'bench-token-client', secret: secret() };
const introspector = { id: 'bench-resource-server', secret: secret() };
const clientCredentialsClient = (c: { id: string; secret: string }) => ({
  client_id: c.id,
  client_secret: c.secret,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic' as const,
});

// One ES256 signing key, as Canopy publishes by default (client-credentials tokens are opaque: unused).
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [clientCredentialsClient(tokenClient), clientCredentialsClient(introspector)],
  jwks: { keys: [jwk] } as never,
  cookies: { keys: [secret()] },
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
  },
  routes: { token: '/oidc/token', introspection: '/oidc/token/introspection', jwks: '/oidc/jwks' },
});
const handle = provider.callback();

const app = express();
app.disable('x-powered-by');
app.use((req, res, next) => {
  if (req.path === '/.well-known/openid-configuration' || req.path.startsWith('/oidc/')) {
    handle(req, res);
    return;
  }
  next();
});
server.on('request', app);

const profiler = createProfiler();
serveCalls(
  {
    issuer,
    pid: process.pid,
    backend: 'oidc-provider memory adapter',
    storage: 'in memory (oidc-provider default adapter)',
    logLevel: 'none',
    tokenClient,
    introspector,
  },
  {
    'profile-start': () => profiler.start(),
    'profile-stop': (file) => profiler.stop(file as string),
    'count-start': () => undefined,
    'count-stop': () => ({ sql: {}, redis: {} }),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      process.exit(0);
    },
  },
);
