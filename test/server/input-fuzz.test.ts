import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { API_PATH, apiRoutes, publicApiRoutes } from '../../src/api/index.ts';
import { createApp } from '../../src/app.ts';
import { createApiTestEnv } from '../helpers/api-world.ts';
import { watchWrites } from '../helpers/db-snapshot.ts';
import { baseFor, fuzzFixtures } from '../helpers/fuzz-bases.ts';
import {
  buildRequest,
  casesFor,
  expectedField,
  expectedStatus,
  type FuzzCase,
} from '../helpers/fuzz-bytes.ts';
import { type RawAnswer, sendRaw } from '../helpers/fuzz-http.ts';
import { expressRoutes, type HttpRoute, providerRoutes, routeName } from '../helpers/fuzz-routes.ts';

// REL-1 over every route the app answers — the admin API, the pages, the federation endpoints and
// the OpenID provider's — with bytes that are not UTF-8 or not clean text once decoded, in every
// place a route could read them: a path segment, a query value or name, a form field, a JSON
// string, plus JSON 10,000 levels deep, a 20 MB body and a 64 KiB header. Every one must be
// refused with the 4xx that names it, in the answer form of its surface, and write nothing.

const env = await createApiTestEnv();
const c = env.container;
const knex = c.database.knex;
const app = createApp(c);
const server = createServer(app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await env.close();
});

const fixtures = await fuzzFixtures(c);
const discovery = JSON.parse(
  (await sendRaw(baseUrl, { method: 'GET', path: '/.well-known/openid-configuration' })).text,
) as Record<string, unknown>;
const routes: HttpRoute[] = [
  ...expressRoutes(app, API_PATH),
  ...providerRoutes(discovery, c.config.server.publicUrl),
];
/** Random placements on top of the deterministic sweep of every case; FUZZ_RUNS overrides. */
const EXTRA_RUNS = Number(process.env.FUZZ_RUNS) || 3;

/** Harmless text around the hostile piece, encoded for where it goes. */
const harmless = fc
  .string({ unit: 'grapheme', maxLength: 6 })
  .filter((s) => s.isWellFormed() && !s.includes('\0'));
const fitFor = (c: FuzzCase, text: string) =>
  c.where === 'json' ? JSON.stringify(text).slice(1, -1) : encodeURIComponent(text);
/** After the piece, never a hex digit: `%E0%A4%A` followed by `0` would be valid UTF-8. */
const separated = (text: string) => (text ? `_${text}` : text);

/** What is wrong with an answer, if anything: the status, the form, the field it names. */
function problemWith(route: HttpRoute, c: FuzzCase, slot: string, res: RawAnswer): string | undefined {
  const expected = expectedStatus(c);
  if (res.status !== expected) return `status ${res.status}, not ${expected}`;
  if (expected === 431) return undefined; // Node's own answer, before the app
  const field = expectedField(route, c, slot);
  const isJson = res.contentType.startsWith('application/json');
  if (route.surface === 'api') {
    if (!isJson) return `not the API's error envelope (${res.contentType})`;
    const body = JSON.parse(res.text) as {
      code?: string;
      requestId?: string;
      details?: { fields?: { field: string }[] };
    };
    const code = expected === 413 ? 'request.too_large' : 'request.invalid_input';
    if (body.code !== code || !body.requestId) return `envelope ${res.text.slice(0, 200)}`;
    if (field && body.details?.fields?.[0]?.field !== field)
      return `names ${res.text.slice(0, 200)}, not ${field}`;
    return undefined;
  }
  if (route.surface === 'page' && !res.contentType.startsWith('text/html'))
    return `not a page (${res.contentType})`;
  if (isJson) {
    const body = JSON.parse(res.text) as { error?: string; error_description?: string };
    if (body.error !== 'invalid_request') return `OAuth error ${res.text.slice(0, 200)}`;
    if (field && !body.error_description?.includes(`${field}:`))
      return `names ${res.text.slice(0, 200)}, not ${field}`;
    return undefined;
  }
  if (field && !res.text.includes(`${field}:`)) return `the page does not name ${field}`;
  return undefined;
}

describe('REL-1: hostile input on every route is a 4xx naming it, and writes nothing', () => {
  test('REL-1: the routes come from the code: every admin API route and every provider endpoint is fuzzed', () => {
    const fuzzed = new Set(routes.map(routeName));
    const declared = [...apiRoutes(c), ...publicApiRoutes(c)].map(
      (r) => `${r.method.toUpperCase()} ${API_PATH}${r.path}`,
    );
    assert.deepEqual(
      declared.filter((r) => !fuzzed.has(r)),
      [],
    );
    for (const endpoint of ['token_endpoint', 'authorization_endpoint', 'introspection_endpoint']) {
      assert.ok(
        routes.some((r) => r.endpoint === endpoint),
        endpoint,
      );
    }
    assert.ok(fuzzed.has('GET /login/:domain') && fuzzed.has('POST /saml/:providerId/acs'));
  });

  for (const route of routes) {
    test(`REL-1: ${routeName(route)} (${route.surface})`, async (t) => {
      const base = baseFor(route, fixtures, API_PATH);
      const cases = casesFor(route, base);
      const statuses = new Map<number, number>();
      const property = fc.asyncProperty(
        fc.nat(cases.length - 1),
        fc.nat(),
        harmless,
        harmless,
        async (index, pick, before, after) => {
          const c = cases[index]!;
          const slot = c.slots[pick % c.slots.length]!;
          const at = { slot, before: fitFor(c, before), after: separated(fitFor(c, after)) };
          const req = buildRequest(route, base, c, at);
          const res = await sendRaw(baseUrl, req);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const problem = problemWith(route, c, slot, res);
          assert.equal(
            problem,
            undefined,
            `${c.what} in ${c.where} (${slot}) → ${req.method} ${req.path.slice(0, 200)}: ${problem}`,
          );
        },
      );
      // Every case once, in a slot of its own (round robin), then random placements.
      const sweep = cases.map((_, i): [number, number, string, string] => [i, i, '', '']);
      const { changed } = await watchWrites(knex, () =>
        fc.assert(property, { examples: sweep, numRuns: sweep.length + EXTRA_RUNS }),
      );
      assert.equal(changed, '', `refused requests wrote: ${changed}`);
      t.diagnostic(
        `${cases.length} cases; statuses: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`,
      );
    });
  }
});
