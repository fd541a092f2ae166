import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { API_PATH, apiRoutes } from '../../src/api/index.ts';
import { createApp } from '../../src/app.ts';
import type { AnyRoute } from '../../src/platform/http/route.ts';
import { ApiClient } from '../helpers/api.ts';
import { requestsFor, routeKey } from '../helpers/api-requests.ts';
import { buildWorld, createApiTestEnv, targetsOf } from '../helpers/api-world.ts';
import { writeWatcher } from '../helpers/api-writes.ts';
import { refusalLedger } from '../helpers/db-snapshot.ts';
import { type FuzzRequest, idPools, requestArb, sweepRequests } from '../helpers/fuzz-arbitraries.ts';

// Issue 4 "Tests": a property-based fuzz of every route of `apiRoutes(c)` — random path parameters,
// query strings and JSON bodies, sent by tenant A's owner (the caller most likely to get deep).
// Whatever comes in: never a 5xx, every answer as the OpenAPI document says (ApiClient checks),
// and a refused request (4xx) writes nothing at all.

const env = await createApiTestEnv();
const c = env.container;
const api = ApiClient.for(c);
const world = await buildWorld(c);
const { a, b } = world;
const knex = c.database.knex;
const ORDER = { get: 0, put: 1, patch: 1, post: 1, delete: 2 } as const;
// Reads first, deletions last: the fuzz deletes what it finds, and later routes still want it.
const routes = apiRoutes(c)
  .filter((r) => !r.public)
  .sort((x, y) => ORDER[x.method] - ORDER[y.method]);
// The owner must not disable, delete or strip itself: every later request would be a 401.
const pools = idPools(a, b, { a: world.targets, b: targetsOf(b) }, [a.users.owner.id]);
// A fixed budget over however many routes there are; FUZZ_RUNS overrides the runs per route.
const RUNS = Number(process.env.FUZZ_RUNS) || Math.max(10, Math.min(40, Math.floor(900 / routes.length)));
const refusalEntry = refusalLedger(knex);
// Requests only, one after another: each snapshot serves as the after of one and the before of the next.
const writes = writeWatcher(knex);

after(() => env.close());

/**
 * ACC-2: a wrong current password is counted, durably, as sign-in failures are (the SQL throttle
 * store): that row is part of the refusal, not a write it should not have made.
 */
function besidesThrottleCount(changed: string, code: unknown): string {
  if (code !== 'password.current_invalid' && code !== 'request.rate_limited') return changed;
  return changed
    .split('; ')
    .filter((line) => line && !line.startsWith('sign_in_attempts['))
    .join('; ');
}

describe('admin API fuzz (every route of apiRoutes, as the owner)', () => {
  for (const route of routes) {
    const key = routeKey(route);
    test(`${key}: no input makes a 5xx, an undocumented answer, or a write when refused`, async (t) => {
      requestsFor(route, world.targets); // fails loudly when the route has no fixtures yet
      const sweep = world.targets
        .flatMap((target) => sweepRequests(route, target))
        .map((r): [FuzzRequest] => [r]);
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requestArb(route, world.targets, pools), async (req) => {
          const { result: res, changed } = await writes.watch(() =>
            api.call(route.method, req.path, { token: world.ownerToken, body: req.body }),
          );
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const where = `${route.method.toUpperCase()} ${req.path} ${JSON.stringify(req.body)?.slice(0, 300)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
          assert.ok(res.status < 500, `server error: ${where}`);
          // SEC-12: a 403 leaves its access.denied entry (the first of its route and code; those
          // after it are coalesced into it), and nothing else.
          const refusal = {
            tenantId: a.tenantId,
            actorId: a.users.owner.id,
            method: route.method.toUpperCase(),
            route: `${API_PATH}${route.path}`,
            code: res.body?.code,
          };
          const refused = res.status === 403 ? await refusalEntry(changed, refusal) : changed;
          const written = besidesThrottleCount(refused, res.body?.code);
          if (res.status >= 400) assert.equal(written, '', `a refused request wrote (${written}): ${where}`);
        }),
        // The deterministic sweep first (on the master and on a business group), then RUNS random ones.
        { numRuns: RUNS + sweep.length, examples: sweep },
      );
      t.diagnostic(`statuses: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`);
    });
  }
});

// Bodies ApiClient cannot send (top-level primitives, broken JSON) and bodies over the limit, sent
// raw; the answer must still be a documented 4xx in the error envelope, and write nothing.
describe('admin API: bodies that are not JSON objects, or too large', () => {
  const app = createApp(c);
  type Document = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const docPromise = request(app)
    .get('/api/v1/openapi.json')
    .then((r) => r.body as Document);

  /** Sends `payload` as the JSON body of the route's example request; the problems with the answer. */
  async function rawProblems(route: AnyRoute, payload: string, refused = true): Promise<string[]> {
    const [req] = requestsFor(route, world.targets);
    const doc = await docPromise;
    const documented = doc.paths[route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[route.method]?.responses;
    const { result: res, changed } = await writes.watch(() =>
      request(app)
        [route.method](`/api/v1${req!.path}`)
        .set('authorization', `Bearer ${world.ownerToken}`)
        .set('content-type', 'application/json')
        .send(payload),
    );
    const shown = payload.length > 40 ? `${payload.slice(0, 20)}… (${payload.length} bytes)` : payload;
    const where = `${routeKey(route)} (${req!.path}) body ${JSON.stringify(shown)} -> ${res.status} ${JSON.stringify(res.body)}`;
    const problems: string[] = [];
    if (res.status >= 500) problems.push(`server error: ${where}`);
    else if (refused && res.status < 400) problems.push(`not refused: ${where}`);
    else if (!documented?.[String(res.status)]) problems.push(`status not in the OpenAPI document: ${where}`);
    else if (
      res.status >= 400 &&
      (typeof res.body.code !== 'string' || typeof res.body.requestId !== 'string')
    )
      problems.push(`not the error envelope: ${where}`);
    if (changed && res.status >= 400) problems.push(`wrote ${changed}: ${where}`);
    return problems;
  }

  const PAYLOADS = ['42', '"text"', 'true', 'null', '{"unterminated": ', '{"a":1}}', '\u0000'];
  for (const route of routes) {
    test(`${routeKey(route)}: a body that is not a JSON object or array is a documented 400`, async () => {
      const problems: string[] = [];
      for (const payload of PAYLOADS) problems.push(...(await rawProblems(route, payload)));
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  }

  // Nesting deeper than JSON.stringify can recurse, yet under the size limit: written by hand,
  // at the top and in place of each field of the example body.
  const DEEP = `${'['.repeat(25_000)}0${']'.repeat(25_000)}`;
  for (const route of routes) {
    test(`${routeKey(route)}: JSON nested 25,000 levels deep is never a 5xx`, async () => {
      const [req] = requestsFor(route, world.targets);
      const example = (req!.body ?? {}) as Record<string, unknown>;
      const payloads = [
        DEEP,
        ...Object.keys(example).map((k) => JSON.stringify({ ...example, [k]: '§' }).replace('"§"', DEEP)),
      ];
      const problems: string[] = [];
      for (const payload of payloads) problems.push(...(await rawProblems(route, payload, false)));
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  }

  test('a body over the limit (64 KiB) is a documented 413 on every route that takes one', async () => {
    const problems: string[] = [];
    const big = JSON.stringify({ padding: 'x'.repeat(70_000) });
    for (const route of routes.filter((r) => r.body)) problems.push(...(await rawProblems(route, big)));
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});
