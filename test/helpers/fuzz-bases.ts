import type { Container } from '../../src/container.ts';
import { CSRF_FIELD } from '../../src/web/index.ts';
import { userToken } from './api.ts';
import { EXAMPLE_BODIES, EXAMPLE_QUERIES, PARAM_TARGETS } from './api-requests.ts';
import { buildTenant, type Target, targetsOf } from './api-world.ts';
import type { RouteBase } from './fuzz-bytes.ts';
import type { HttpRoute } from './fuzz-routes.ts';

// Valid requests for every route of the input fuzz (REL-1): real ids, a real client with its
// secret, a bearer token, the fields each form posts. With them, a hostile byte that slipped past
// the checks would reach the services and the stores, where it would show as a 5xx or a write.

const REDIRECT_URI = 'https://fuzz.example/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

export async function fuzzFixtures(c: Container) {
  const world = await buildTenant(c, 'Fuzz');
  const target = targetsOf(world)[0]!;
  const ownerToken = await userToken(c, world.users.owner.id);
  const { app, clientSecret } = await c.apps.create(world.owner, world.tenantId, {
    kind: 'web',
    name: 'Fuzz Client',
    redirectUris: [REDIRECT_URI],
  });
  const { domain } = await c.database.knex('organizations').where({ id: world.tenantId }).first('domain');
  const basic = `Basic ${Buffer.from(`${app.clientId}:${clientSecret}`).toString('base64')}`;
  return { world, target, ownerToken, clientId: app.clientId, basic, domain: domain as string };
}

export type FuzzFixtures = Awaited<ReturnType<typeof fuzzFixtures>>;

const empty = (): RouteBase => ({ params: {}, query: {}, form: {}, json: {}, headers: {} });

function apiBase(route: HttpRoute, f: FuzzFixtures, apiPath: string): RouteBase {
  const key = `${route.method.toUpperCase()} ${route.path.slice(apiPath.length)}`;
  const params = Object.fromEntries(
    Object.entries(PARAM_TARGETS).map(([name, field]) => [name, (f.target as Target)[field]]),
  );
  return {
    ...empty(),
    params,
    query: EXAMPLE_QUERIES[key]?.(f.target) ?? {},
    json: (EXAMPLE_BODIES[key]?.(f.target) as Record<string, unknown>) ?? {},
    headers: { authorization: `Bearer ${f.ownerToken}` },
  };
}

/** The fields each page's form posts (the CSRF token is wrong, as a forger's would be). */
const PAGE_FORMS: Record<string, Record<string, string>> = {
  '/signup': {
    companyName: 'Fuzz',
    domain: 'fuzz-co',
    username: 'fuzz',
    email: 'f@fuzz.test',
    password: 'x',
  },
  '/invitations/:token': { username: 'fuzz', name: 'Fuzz', password: 'x', passwordConfirm: 'x' },
  '/interaction/:uid/login': { username: 'fuzz', password: 'x' },
  '/saml/:providerId/acs': {
    SAMLResponse: Buffer.from('<samlp:Response/>').toString('base64'),
    RelayState: 'x',
  },
};
const PAGE_QUERIES: Record<string, Record<string, string>> = {
  '/federation/oidc/:providerId/callback': { state: 'x', code: 'x' },
  '/console/': { org: 'x' },
};

function pageBase(route: HttpRoute, f: FuzzFixtures): RouteBase {
  return {
    ...empty(),
    params: {
      domain: f.domain,
      providerId: f.world.providerId,
      token: 'x',
      uid: 'x',
      version: 'x',
      file: 'x.js',
    },
    query: PAGE_QUERIES[route.path] ?? {},
    form: { ...(PAGE_FORMS[route.path] ?? {}), [CSRF_FIELD]: 'x' },
  };
}

function providerParams(endpoint: string, f: FuzzFixtures): Record<string, string> {
  const authorization = {
    client_id: f.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT_URI,
    state: 'state',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
  };
  switch (endpoint) {
    case 'authorization_endpoint':
    case 'pushed_authorization_request_endpoint':
      return authorization;
    case 'token_endpoint':
      return {
        grant_type: 'authorization_code',
        code: 'x',
        redirect_uri: REDIRECT_URI,
        code_verifier: 'v'.repeat(43),
      };
    case 'introspection_endpoint':
    case 'revocation_endpoint':
      return { token: 'x', token_type_hint: 'access_token' };
    case 'device_authorization_endpoint':
      return { client_id: f.clientId, scope: 'openid' };
    case 'end_session_endpoint':
      return { client_id: f.clientId, state: 'x' };
    case 'code_verification_endpoint':
      return { user_code: 'BCDF-GHJK' };
    default:
      return {};
  }
}

function providerBase(route: HttpRoute, f: FuzzFixtures): RouteBase {
  const values = providerParams(route.endpoint ?? '', f);
  return {
    ...empty(),
    query: route.method === 'get' ? values : {},
    form: route.method === 'get' ? {} : values,
    headers: { authorization: f.basic },
  };
}

/** The valid request of a route, for the fuzz to spoil one piece of. */
export function baseFor(route: HttpRoute, f: FuzzFixtures, apiPath: string): RouteBase {
  if (route.surface === 'api') return apiBase(route, f, apiPath);
  if (route.surface === 'oauth') return providerBase(route, f);
  return pageBase(route, f);
}
