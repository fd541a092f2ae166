import fc from 'fast-check';
import type { AnyRoute } from '../../src/platform/http/route.ts';
import {
  EXAMPLE_QUERIES,
  exampleBody,
  fillPath,
  PARAM_TARGETS,
  pathParamsOf,
  routeKey,
} from './api-requests.ts';
import type { Target, TenantWorld } from './api-world.ts';

// Random admin API requests for the property-based fuzz: path parameters, query strings and JSON
// bodies, mixing real ids (of the caller's tenant, of another tenant, of the wrong kind) with
// garbage, so that requests get past validation and into the services as often as they bounce.

export interface FuzzRequest {
  /** Below /api/v1, with the query string. */
  path: string;
  /** Always an object or an array (what supertest sends as JSON); primitives are tested apart. */
  body: object | undefined;
}

/** Encodes a string for a URL, whatever its code points (lone surrogates included). */
const encode = (s: string) => encodeURIComponent(s.toWellFormed());

/**
 * Sent as they are, not encoded: broken percent-encodings, an encoded slash, overlong UTF-8. (Not
 * dot segments, nor empty ones: the client resolves those to another path before sending.)
 */
const RAW_SEGMENTS = ['%', '%zz', '%C0%AF', '%00', '%2F', '%E2%80%AE', '%FF%FE', '%%32%65'];
const TRICKY = ['null', 'undefined', '__proto__', 'constructor', 'prototype', '0', '-1', '1e309', 'NaN', ' '];

export interface IdPools {
  /** Tenant A's ids per path parameter name (the fuzzing caller's own tenant). */
  own: Record<string, string[]>;
  /** Every id of tenant A and of tenant B (any kind). */
  any: string[];
  /** Tenant B's ids per path parameter name. */
  foreign: Record<string, string[]>;
}

/** Ids per path parameter; `exclude` keeps the fuzzing caller from disabling or deleting itself. */
export function idPools(
  a: TenantWorld,
  b: TenantWorld,
  targets: { a: Target[]; b: Target[] },
  exclude: string[],
) {
  const byParam = (list: Target[]) =>
    Object.fromEntries(
      Object.entries(PARAM_TARGETS).map(([name, field]) => [
        name,
        [...new Set(list.map((t) => t[field]))].filter((id) => !exclude.includes(id)),
      ]),
    );
  return {
    own: byParam(targets.a),
    foreign: byParam(targets.b),
    any: [...a.ids, ...b.ids].filter((id) => !exclude.includes(id)),
  } satisfies IdPools;
}

function idArb(name: string, pools: IdPools): fc.Arbitrary<string> {
  const own = pools.own[name] ?? [];
  const foreign = pools.foreign[name] ?? [];
  return fc.oneof(
    { weight: 8, arbitrary: own.length ? fc.constantFrom(...own) : fc.uuid() },
    { weight: 2, arbitrary: foreign.length ? fc.constantFrom(...foreign) : fc.uuid() },
    { weight: 2, arbitrary: fc.constantFrom(...pools.any) },
    { weight: 1, arbitrary: fc.uuid().map(encode) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map(encode) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map(encode) },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 4000 }).map((n) => 'x'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS, ...TRICKY.map(encode)) },
  );
}

const scalarText = (pools: IdPools) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.integer().map(String),
    fc.constantFrom(
      '',
      '-1',
      '0',
      '1e309',
      'NaN',
      'Infinity',
      '9007199254740993',
      '2026-02-30',
      '2026-01-01',
    ),
    fc.constantFrom('true', 'pending', 'all', 'expired', '2026-01-01T00:00:00Z', ...TRICKY),
    fc.uuid(),
    fc.constantFrom(...pools.any),
  );

function queryArb(route: AnyRoute, targets: Target[], pools: IdPools): fc.Arbitrary<string> {
  const example = EXAMPLE_QUERIES[routeKey(route)];
  const known = route.query && 'shape' in route.query ? Object.keys(route.query.shape) : [];
  const key = fc.oneof(
    fc.constantFrom(...known, 'limit', 'offset', 'cursor', '__proto__', 'constructor', 'a[b]', 'toString'),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }),
  );
  const random = fc
    .array(fc.tuple(key, scalarText(pools)), { minLength: 1, maxLength: 5 })
    .map((pairs) => `?${pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: random },
    ...(example
      ? [
          {
            weight: 2,
            arbitrary: fc.constantFrom(...targets).map((t) => `?${new URLSearchParams(example(t))}`),
          },
        ]
      : []),
  );
}

/**
 * Deep nesting, alternating objects and arrays, an object on top. It prints as a short summary:
 * fast-check's own printer would overflow the stack on a counterexample thousands of levels deep.
 */
const deepArb = fc.integer({ min: 10, max: 3000 }).map((depth) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? { nested: value } : [value];
  const top = { nested: value };
  Object.defineProperty(top, fc.toStringMethod, { value: () => `{"nested":[… ${depth} levels deep …]}` });
  return top;
});

/** JSON leaves that break things: huge and tiny numbers, ids, long strings, prototype names. */
function leafArb(pools: IdPools): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, 5e-324, -0, 0, -1, 1.5, 2 ** 31, 10 ** 21),
    fc.constantFrom(...pools.any, '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''),
    fc.uuid(),
    fc.integer({ min: 256, max: 20_000 }).map((n) => 'é'.repeat(n)),
    fc.string({ unit: 'binary', maxLength: 50 }),
    deepArb,
  );
}

/** Bodies whose keys poison naive merges: parsed from text, so `__proto__` is an own key. */
const prototypeBodies = [
  '{"__proto__":{"isAdmin":true,"permissions":["users.manage"]}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"name":"x","__proto__":{"name":"y"},"prototype":null}',
  '{"toString":"x","valueOf":1,"hasOwnProperty":null}',
].map((text) => JSON.parse(text) as object);

/** The route's valid example, with one field replaced, removed, or a key added. */
function mutatedExampleArb(route: AnyRoute, targets: Target[], pools: IdPools): fc.Arbitrary<object> {
  return fc
    .tuple(
      fc.constantFrom(...targets),
      fc.nat(),
      fc.oneof(
        { weight: 2, arbitrary: fc.constant('keep') },
        { weight: 2, arbitrary: fc.constant('replace') },
        { weight: 1, arbitrary: fc.constantFrom('remove', 'add') },
      ),
      leafArb(pools),
    )
    .map(([target, pick, how, value]) => {
      const example = (route.body ? exampleBody(route, target) : {}) as Record<string, unknown>;
      const body = { ...example };
      const keys = Object.keys(body);
      const key = keys.length ? keys[pick % keys.length]! : 'field';
      if (how === 'replace') body[key] = value;
      else if (how === 'remove') delete body[key];
      else if (how === 'add') Object.defineProperty(body, `extra${pick % 3}`, { value, enumerable: true });
      return body;
    });
}

function bodyArb(route: AnyRoute, targets: Target[], pools: IdPools): fc.Arbitrary<object | undefined> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: mutatedExampleArb(route, targets, pools) },
    { weight: 2, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), leafArb(pools), { maxKeys: 6 }) },
    {
      weight: 2,
      arbitrary: fc.oneof(fc.array(fc.jsonValue()), fc.object({ maxDepth: 3 })) as fc.Arbitrary<object>,
    },
    { weight: 1, arbitrary: deepArb },
    { weight: 1, arbitrary: fc.constantFrom(...prototypeBodies) },
  );
}

/** A random request to `route`; `targets` are tenant A's (for valid example bodies). */
export function requestArb(route: AnyRoute, targets: Target[], pools: IdPools): fc.Arbitrary<FuzzRequest> {
  const names = pathParamsOf(route.path);
  const params = fc.tuple(...names.map((n) => idArb(n, pools)));
  return (
    fc
      .tuple(params, queryArb(route, targets, pools), bodyArb(route, targets, pools))
      .map(([values, query, body]) => ({
        // Ids and garbage arrive encoded (or raw on purpose): fill without encoding again.
        path: fillPath(route.path, Object.fromEntries(names.map((n, i) => [n, values[i]!])), String) + query,
        body,
      }))
      // Under the body limit (64 KiB): what lies beyond it is tested on its own.
      .filter((r) => Buffer.byteLength(JSON.stringify(r.body ?? null)) < 60_000)
  );
}

/** Values each field is tried with, one field at a time, in the deterministic sweep. */
const BAD_QUERY_VALUES = ['', 'x', '1e309'];
const deep = (depth: number) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? { nested: value } : [value];
  return value;
};

/**
 * Every query parameter and every field of the example body, each in turn set to a few values that
 * commonly slip through validation (empty, wrong type, out of range, deeply nested), the rest of the
 * request valid: the boundaries the random runs may miss, run every time.
 */
export function sweepRequests(route: AnyRoute, target: Target): FuzzRequest[] {
  const base = fillPath(
    route.path,
    Object.fromEntries(pathParamsOf(route.path).map((n) => [n, target[PARAM_TARGETS[n]!]!])),
  );
  const example = route.body ? (exampleBody(route, target) as Record<string, unknown>) : undefined;
  const out: FuzzRequest[] = [];
  const keys = route.query && 'shape' in route.query ? Object.keys(route.query.shape) : [];
  for (const key of keys) {
    for (const value of BAD_QUERY_VALUES)
      out.push({ path: `${base}?${encode(key)}=${encode(value)}`, body: example });
  }
  if (example && typeof example === 'object' && !Array.isArray(example)) {
    const deepValue = deep(3000);
    Object.defineProperty(deepValue, fc.toStringMethod, { value: () => '[… 3000 levels deep …]' });
    for (const key of Object.keys(example)) {
      for (const value of [null, '', 'x', -1, 1e308, [], {}, deepValue]) {
        out.push({ path: base, body: { ...example, [key]: value } });
      }
    }
  }
  return out;
}
