import type { AnyRoute } from '../../src/platform/http/route.ts';
import { builtInRoleId, type Target } from './api-world.ts';
import { samlProvider } from './idp-fixtures.ts';

// Turns any route of `apiRoutes(c)` into concrete requests against the fixture world: path
// parameters filled with ids of the target's objects, a valid body, a valid query. A route this
// file cannot fill FAILS the tests that use it, saying what to add: a new route cannot slip past
// the isolation matrix and the fuzz untested.

export const routeKey = (route: Pick<AnyRoute, 'method' | 'path'>) =>
  `${route.method.toUpperCase()} ${route.path}`;

export const pathParamsOf = (path: string) => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

/** Path parameter name → the fixture object it names. */
export const PARAM_TARGETS: Record<string, keyof Target> = {
  orgId: 'orgId',
  organizationId: 'orgId',
  environmentId: 'environmentId',
  userId: 'userId',
  roleId: 'roleId',
  assignmentId: 'assignmentId',
  appId: 'appId',
  invitationId: 'invitationId',
  providerId: 'providerId',
  mappingId: 'mappingId',
  sessionId: 'sessionId',
};

/**
 * A body each route would accept from a caller allowed to make the request (`METHOD path`). Valid
 * in the deep sense where it matters: an eligible owner, an assignment not made yet, a free name.
 */
export const EXAMPLE_BODIES: Record<string, (t: Target) => unknown> = {
  'PATCH /organizations/:orgId': () => ({ name: 'Renamed' }),
  'POST /organizations/:orgId/business-groups': () => ({ name: 'Another group' }),
  'PUT /organizations/:orgId/owner': (t) => ({ ownerUserId: t.ownerCandidateId }),
  'PUT /organizations/:orgId/entitlements': () => ({ createSubOrgs: false }),
  'PUT /organizations/:orgId/properties': () => ({ costCenter: 'CC-7' }),
  'PATCH /users/:userId': () => ({ name: 'Someone Else' }),
  'POST /roles': () => ({ name: 'Readers', permissions: ['audit.view'] }),
  'PATCH /roles/:roleId': () => ({ description: 'Changed' }),
  'POST /role-assignments': (t) => ({
    userId: t.userId,
    roleId: builtInRoleId('api-alerts-viewer'),
    organizationId: t.orgId,
  }),
  'POST /organizations/:orgId/environments': () => ({ name: 'QA', type: 'sandbox' }),
  'PATCH /environments/:environmentId': () => ({ name: 'Renamed environment' }),
  'POST /environments/:environmentId/credentials/rotate': () => ({ graceHours: 0 }),
  'POST /apps': () => ({ kind: 'web', name: 'Another app', redirectUris: ['https://another.example/cb'] }),
  'PATCH /apps/:appId': () => ({ name: 'Renamed app' }),
  'POST /apps/:appId/secret': () => ({}),
  'POST /identity-providers': () => samlProvider('Another IdP'),
  'PATCH /identity-providers/:providerId': () => ({ name: 'Renamed IdP' }),
  'POST /identity-providers/:providerId/group-mappings': (t) => ({
    group: 'auditors',
    roleId: builtInRoleId('audit-viewer'),
    organizationId: t.orgId,
  }),
  'PUT /organizations/:orgId/local-accounts': () => ({ enabled: true }),
  // ACC-2: a new password every policy refuses (too short), so that no caller's password changes.
  'POST /me/password': () => ({ currentPassword: 'not the password', newPassword: 'short' }),
  // ACC-3: a new address without the current password, so that no caller's address changes.
  'PATCH /me': () => ({ email: 'moved@example.test' }),
  'POST /organizations/:orgId/invitations': (t) => ({
    emails: ['new.colleague@example.test'],
    roles: [{ roleId: builtInRoleId('api-alerts-viewer'), organizationId: t.orgId }],
  }),
};

/**
 * A query per route: required for routes whose query schema refuses an empty one, and worth giving
 * wherever a query can name an object of the tenant (the matrix then aims it at tenant A).
 */
export const EXAMPLE_QUERIES: Record<string, (t: Target) => Record<string, string>> = {
  'GET /invitations': (t) => ({ orgId: t.orgId }),
  'GET /organizations/:orgId/analytics': (t) => ({ environmentId: t.environmentId }),
  'GET /organizations/:orgId/audit-log': (t) => ({ actor: t.userId }),
};

export interface ResolvedRequest {
  route: AnyRoute;
  key: string;
  target: Target;
  /** Below /api/v1, parameters filled in and encoded, with the query string if any. */
  path: string;
  body: unknown;
  /** The path parameter values, by name. */
  params: Record<string, string>;
}

const issues = (error: { issues: { path: PropertyKey[]; message: string }[] }) =>
  error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');

const HELP = 'test/helpers/api-requests.ts (and the fixture world in test/helpers/api-world.ts if needed)';

/** Fills a route's path with `values`, encoded. */
export function fillPath(
  path: string,
  values: Record<string, string>,
  encode: (value: string) => string = encodeURIComponent,
): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => encode(values[name] ?? ''));
}

/** The example body of a route (undefined for a route without a body), checked against its schema. */
export function exampleBody(route: AnyRoute, target: Target): unknown {
  const key = routeKey(route);
  if (!route.body) return undefined;
  const example = EXAMPLE_BODIES[key];
  if (!example) {
    throw new Error(
      `${key} takes a body but has no example: add a body it accepts to EXAMPLE_BODIES in ${HELP}, ` +
        'so the isolation matrix and the fuzz reach it past input validation.',
    );
  }
  const body = example(target);
  const parsed = route.body.safeParse(body);
  if (!parsed.success) {
    throw new Error(
      `${key}: the example body no longer satisfies the route's schema (${issues(parsed.error)})`,
    );
  }
  return body;
}

/** One request per distinct way the targets fill the route (the master, a business group). */
export function requestsFor(route: AnyRoute, targets: readonly Target[]): ResolvedRequest[] {
  const key = routeKey(route);
  const out = new Map<string, ResolvedRequest>();
  for (const target of targets) {
    const params: Record<string, string> = {};
    for (const name of pathParamsOf(route.path)) {
      const field = PARAM_TARGETS[name];
      if (!field) {
        throw new Error(
          `${key} has a path parameter :${name} that the admin API test fixtures do not know. Map it to ` +
            `an object of tenant A in PARAM_TARGETS of ${HELP}, so this route is covered by the ` +
            'tenant-isolation matrix and the fuzz.',
        );
      }
      const value = target[field];
      if (!value) {
        throw new Error(
          `${key}: the fixture world has no ${field} for :${name}; create one in buildTenant (${HELP})`,
        );
      }
      params[name] = value;
    }
    if (route.params) {
      const parsed = route.params.safeParse(params);
      if (!parsed.success)
        throw new Error(`${key}: fixture ids refused by the params schema: ${issues(parsed.error)}`);
    }
    const body = exampleBody(route, target);
    let query = '';
    const example = route.query ? EXAMPLE_QUERIES[key] : undefined;
    if (route.query && !example && !route.query.safeParse({}).success) {
      throw new Error(`${key} needs a query: add a valid one to EXAMPLE_QUERIES in ${HELP}`);
    }
    if (route.query && example) {
      const values = example(target);
      const parsed = route.query.safeParse(values);
      if (!parsed.success) throw new Error(`${key}: the example query is refused: ${issues(parsed.error)}`);
      query = `?${new URLSearchParams(values)}`;
    }
    const path = fillPath(route.path, params) + query;
    const id = `${path} ${JSON.stringify(body)}`;
    if (!out.has(id)) out.set(id, { route, key, target, path, body, params });
  }
  return [...out.values()];
}

/** Example entries that no longer belong to any route (renamed or removed routes). */
export function staleExamples(routes: readonly AnyRoute[]): string[] {
  const withBody = new Set(routes.filter((r) => r.body).map(routeKey));
  const withQuery = new Set(routes.filter((r) => r.query).map(routeKey));
  return [
    ...Object.keys(EXAMPLE_BODIES).filter((k) => !withBody.has(k)),
    ...Object.keys(EXAMPLE_QUERIES).filter((k) => !withQuery.has(k)),
  ];
}

/** Which of `ids` appear in a value's JSON text. */
export function idsIn(value: unknown, ids: Iterable<string>): string[] {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return [...ids].filter((id) => text.includes(id));
}
