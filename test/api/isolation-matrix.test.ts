import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { API_PATH, apiRoutes } from '../../src/api/index.ts';
import { PERMISSION_CATALOGUE } from '../../src/modules/roles/index.ts';
import type { AnyRoute } from '../../src/platform/http/route.ts';
import { ApiClient } from '../helpers/api.ts';
import {
  idsIn,
  type ResolvedRequest,
  requestsFor,
  routeKey,
  staleExamples,
} from '../helpers/api-requests.ts';
import { buildWorld, CALLERS, type Caller, createApiTestEnv } from '../helpers/api-world.ts';
import { writeWatcher } from '../helpers/api-writes.ts';
import { changes, refusalLedger, snapshot } from '../helpers/db-snapshot.ts';

// ARCHITECTURE §7, issue 4 "Tests": every admin endpoint — every route `apiRoutes(c)` lists, now and
// later — is called by (a) an administrator of another tenant, (b) an administrator of a sibling
// business group, (c) a user with no role, (d) a service app whose token lacks the scope (it
// carries an unrelated permission), (d') the same app with a token carrying no permission at all,
// and without a token. Each must be refused, learn nothing, and write nothing at all (but the
// access.denied audit entry of a 403, SEC-12: the first refusal of each caller, route and code
// writes one, naming them; the ones after it are coalesced into it and write nothing).

const CATALOGUE = 'the fixed permission catalogue, the same for every tenant (ROLE-1)';
const ROLES = 'roles are tenant-wide: anyone holding something in the tenant may read them (USR-4)';
const MEMBER_APP = 'the app holds a grant on the master (and so on every node below it)';

/**
 * Routes legitimately open to some of these callers, each with its reason. Keep it minimal: an
 * entry here is a hole in the matrix. Open requests must still write nothing and show none of
 * tenant A's objects beyond what the caller may see (the master, the caller's own group and self,
 * tenant-wide roles).
 */
const OPEN: Record<string, Partial<Record<Caller, string>>> = {
  'GET /me/sessions': {
    'admin of a sibling group': 'ACC-5: a person sees their own sessions',
    'user with no role': 'ACC-5: a person sees their own sessions',
  },
  'GET /me': {
    'admin of a sibling group': 'who is calling: the caller itself and the tree it may see',
    'user with no role': 'USR-4: a user with no role still sees their own profile',
    'app without the scope': 'who is calling: the app itself',
    'app with no permission': 'who is calling: the app itself',
  },
  'GET /hierarchy': {
    'admin of a sibling group': 'ORG-10: their group, and its ancestors by name only',
    'user with no role': 'ORG-10, USR-4: an empty tree',
  },
  'GET /permissions': {
    'admin of a sibling group': CATALOGUE,
    'user with no role': CATALOGUE,
    'app without the scope': CATALOGUE,
    'app with no permission': CATALOGUE,
  },
  'GET /roles': { 'admin of a sibling group': ROLES, 'app without the scope': ROLES },
  'GET /roles/:roleId': { 'admin of a sibling group': ROLES, 'app without the scope': ROLES },
  // ORG-9 for apps: a grant on a node or above it makes the app a member there, as any role makes a
  // user one; the app's grants are on the master, its token still carries one unrelated permission.
  'GET /organizations/:orgId': { 'app without the scope': MEMBER_APP },
  'GET /organizations/:orgId/environments': { 'app without the scope': MEMBER_APP },
  'GET /environments/:environmentId': { 'app without the scope': MEMBER_APP },
  'GET /users/:userId/role-assignments': {
    'admin of a sibling group':
      "a filtered view: the target's assignments on nodes where the caller holds roles.assign",
  },
};

/**
 * Routes that act on the caller's own account only, which any person of the tenant may use: their
 * example body is refused for what it says (e.g. a password the policy refuses), writing nothing.
 */
const OWN_ACCOUNT: Record<string, string> = {
  'POST /me/password': 'ACC-2: a person changes their own password',
  'PATCH /me': 'ACC-3: a person changes their own email (refused without their current password)',
};

/**
 * Routes that any person may use on their own account and that succeed, writing to it alone: a new
 * single-use link of theirs, its audit entry, and the count of the throttle that limits them.
 */
const OWN_ACCOUNT_WRITES: Record<string, string> = {
  'POST /me/verification-email': 'ACC-3: a person asks for a new link to their own address',
};
const OWN_ACCOUNT_TABLES = new Set(['account_tokens', 'audit_log', 'sign_in_attempts']);
const PEOPLE: readonly Caller[] = [
  'admin of another tenant',
  'admin of a sibling group',
  'user with no role',
];

const env = await createApiTestEnv();
const c = env.container;
const api = ApiClient.for(c);
const world = await buildWorld(c);
const { a, b } = world;
const routes = apiRoutes(c).filter((r) => !r.public);
const refusalEntry = refusalLedger(c.database.knex);
// Requests only, one after another: each snapshot serves as the after of one and the before of the next.
const writes = writeWatcher(c.database.knex);
/** The tokens used so far: minting one writes, so the next request takes a snapshot of its own. */
const minted = new Set<string>();
/** Who each caller is in the audit log (both app callers are one app, with different tokens). */
const ACTOR_IDS: Record<Caller, string> = {
  'admin of another tenant': b.users.owner.id,
  'admin of a sibling group': a.users.siblingAdmin.id,
  'user with no role': a.users.noRole.id,
  'app without the scope': a.apps.service.clientId,
  'app with no permission': a.apps.service.clientId,
};

/** The token scope of caller (d): a permission the route does not name (the app's grants hold them all). */
function unrelatedScope(route: AnyRoute): string {
  const named = route.permission ?? '';
  return ['api-alerts.view', 'idp.manage', 'api-alerts.manage']
    .concat(PERMISSION_CATALOGUE.map((p) => p.name))
    .find((p) => !named.includes(p))!;
}

/** Ids of tenant A a caller may legitimately see in an open answer. */
function visibleTo(caller: Caller): Set<string> {
  if (caller === 'admin of another tenant') return new Set();
  const self = caller === 'admin of a sibling group' ? [a.users.siblingAdmin.id] : [a.users.noRole.id];
  return new Set([a.tenantId, a.siblingId, a.roleId, a.apps.service.id, a.apps.service.clientId, ...self]);
}

const describeRequest = (r: ResolvedRequest, caller: string) =>
  `${r.route.method.toUpperCase()} ${r.path}${r.body === undefined ? '' : ` ${JSON.stringify(r.body)}`} as ${caller}`;

async function check(request: ResolvedRequest, caller: Caller): Promise<void> {
  const { route, key } = request;
  const token = await world.tokenOf(caller, unrelatedScope(route));
  if (!minted.has(token)) {
    minted.add(token); // a token minted just now was written to the database: not the request's doing
    writes.forget();
  }
  const sentIds = idsIn([request.path, request.body], a.ids);
  // Caller (a) on a route naming no object of tenant A acts in its own tenant, which it may change.
  const ownTenant = caller === 'admin of another tenant' && sentIds.length === 0;
  const { result: res, changed } = await writes.watch(
    () => api.call(route.method, request.path, { token, body: request.body }),
    ownTenant ? [b.tenantId] : [],
  );
  const where = `${describeRequest(request, caller)} -> ${res.status} ${JSON.stringify(res.body)}`;
  assert.ok(res.status < 500, `server error: ${where}`);
  // SEC-12: a 403 leaves its access.denied entry in the caller's own tenant, and nothing else.
  const refusal = {
    tenantId: caller === 'admin of another tenant' ? b.tenantId : a.tenantId,
    actorId: ACTOR_IDS[caller],
    method: route.method.toUpperCase(),
    route: `${API_PATH}${route.path}`,
    code: res.body?.code,
  };
  // In its own tenant (which it may change) the caller's writes, its refusal entry too, are not watched.
  const written = res.status === 403 && !ownTenant ? await refusalEntry(changed, refusal) : changed;
  if (OWN_ACCOUNT_WRITES[key] && PEOPLE.includes(caller)) {
    assert.equal(res.status, 200, `open to every person (${OWN_ACCOUNT_WRITES[key]}): ${where}`);
    const tables = written
      .split('; ')
      .filter(Boolean)
      .map((w) => w.slice(0, w.indexOf('[')));
    const beyond = tables.filter((table) => !OWN_ACCOUNT_TABLES.has(table));
    assert.deepEqual(beyond, [], `wrote beyond the caller's own account (${written}): ${where}`);
    assert.deepEqual(idsIn(res.body, a.ids), [], `shows objects of tenant A: ${where}`);
    return;
  }
  assert.equal(written, '', `the request wrote to the database (${written}): ${where}`);
  const leaked = (allowed: Set<string>) => idsIn(res.body, a.ids).filter((id) => !allowed.has(id));

  if (ownTenant) {
    assert.deepEqual(leaked(new Set()), [], `an answer in tenant B shows tenant A's objects: ${where}`);
    return;
  }
  if (OWN_ACCOUNT[key] && (caller === 'admin of a sibling group' || caller === 'user with no role')) {
    // Refused for what it says, never for a permission (a missing current password is a 403 of its own).
    assert.ok(
      res.status >= 400 && res.body?.code !== 'auth.permission_denied',
      `refused for its input (${OWN_ACCOUNT[key]}): ${where}`,
    );
    assert.deepEqual(leaked(visibleTo(caller)), [], `shows objects the caller may not see: ${where}`);
    return;
  }
  const open = OPEN[key]?.[caller];
  if (open) {
    assert.ok(res.status >= 200 && res.status < 300, `open to this caller (${open}): ${where}`);
    // A member app sees what any member of the master sees: every node lies below its grant.
    const visible = open === MEMBER_APP ? new Set(a.ids) : visibleTo(caller);
    assert.deepEqual(leaked(visible), [], `shows objects the caller may not see: ${where}`);
    return;
  }
  // Inside the tenant a 403 names where the permission is missing: the node, and the environment.
  const { organizationId: _node, environmentId: _environment, ...details } = res.body?.details ?? {};
  const told = idsIn({ ...res.body, details }, a.ids);
  const known = new Set(caller === 'admin of another tenant' ? sentIds : [...sentIds, ...visibleTo(caller)]);
  assert.deepEqual(
    told.filter((id) => !known.has(id)),
    [],
    `the refusal names objects the caller did not: ${where}`,
  );
  if (caller === 'admin of another tenant') {
    assert.equal(res.status, 404, `another tenant's object must not be seen to exist: ${where}`);
    return;
  }
  assert.ok(res.status === 403 || res.status === 404, `must be refused (403 or 404): ${where}`);
  if (res.status === 403) {
    assert.equal(res.body.code, 'auth.permission_denied', where);
    const details = res.body.details ?? {};
    assert.ok(
      typeof details.permission === 'string' || typeof details.organizationId === 'string',
      `a 403 names the missing permission (or the node where a role is missing): ${where}`,
    );
  }
}

describe('admin API tenant-isolation matrix (every route of apiRoutes)', () => {
  after(() => env.close());

  test('the snapshot sees any write, and says in which table and tenant', async () => {
    const rollback = new Error('rollback');
    await c.database.knex
      .transaction(async (tx) => {
        const before = await snapshot(tx);
        await tx('users').where({ id: a.users.member.id }).update({ name: 'Changed in place' });
        const after = await snapshot(tx);
        assert.match(
          changes(before, after),
          new RegExp(`^users\\[${a.tenantId}\\]: (\\d+) rows -> \\1 rows \\(changed\\)$`),
        );
        assert.equal(changes(before, after, [a.tenantId]), '');
        throw rollback;
      })
      .catch((err: unknown) => {
        if (err !== rollback) throw err;
      });
  });

  test('every route can be aimed at tenant A (path parameters, bodies and queries have fixtures)', () => {
    const missing: string[] = [];
    for (const route of routes) {
      try {
        requestsFor(route, world.targets);
      } catch (err) {
        missing.push((err as Error).message);
      }
    }
    assert.deepEqual(missing, [], missing.join('\n'));
    assert.deepEqual(staleExamples(routes), [], 'example entries for routes that no longer exist');
    for (const key of Object.keys(OPEN)) {
      assert.ok(
        routes.some((r) => routeKey(r) === key),
        `OPEN names ${key}, which is not a route any more`,
      );
    }
  });

  for (const route of routes) {
    describe(routeKey(route), () => {
      for (const caller of CALLERS) {
        test(`${caller}: refused, nothing learnt, nothing written`, async () => {
          // Every target, then every failure at once: a report names all that is wrong.
          const failures: string[] = [];
          for (const request of requestsFor(route, world.targets)) {
            await check(request, caller).catch((err: Error) => failures.push(err.message.split('\n')[0]!));
          }
          assert.deepEqual(failures, [], failures.join('\n'));
        });
      }
      test('no token: 401, nothing written', async () => {
        for (const request of requestsFor(route, world.targets)) {
          const { result: res, changed } = await writes.watch(() =>
            api.call(route.method, request.path, { body: request.body }),
          );
          const where = `${describeRequest(request, 'nobody')} -> ${res.status} ${JSON.stringify(res.body)}`;
          assert.equal(res.status, 401, where);
          assert.equal(res.body.code, 'auth.unauthenticated', where);
          assert.match(res.headers['www-authenticate'] ?? '', /^Bearer /, where);
          assert.equal(changed, '', `wrote ${changed}: ${where}`);
        }
      });
    });
  }
});
