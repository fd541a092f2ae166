import type { RawRequest } from './fuzz-http.ts';
import { fillRoute, type HttpRoute, paramsOf } from './fuzz-routes.ts';

// REL-1's hostile inputs and where they go: byte sequences that are not UTF-8 (or not clean text
// once decoded), placed in a path segment, a query value or name, a form field or a JSON string
// value of any route, plus nesting, size and header bombs. Each case says what the answer must be.

/** Percent-encoded, for URLs and form bodies: malformed, not UTF-8, overlong, a surrogate, a NUL. */
export const PERCENT = ['%FF', '%E0%A4%A', '%C0%AF', '%E0%80%AF', '%ED%A0%80', '%00', 'a%00b', '%FF%FE'];

/** Raw bytes, for bodies: the same problems, unencoded. */
export const RAW: Record<string, number[]> = {
  FF: [0xff],
  'C3 28': [0xc3, 0x28],
  'C0 AF (overlong "/")': [0xc0, 0xaf],
  'E0 80 AF (overlong "/")': [0xe0, 0x80, 0xaf],
  'ED A0 80 (a lone surrogate)': [0xed, 0xa0, 0x80],
  '00 (NUL)': [0x00],
};

/** JSON escapes that parse fine and are not clean text. */
export const JSON_ESCAPES = ['\\u0000', '\\ud800', 'a\\udfffb'];

export const DEEP_JSON_LEVELS = 10_000;
export const DECLARED_BYTES = 20_000_000;
const HUGE_HEADER = 'h'.repeat(64 * 1024);

/** What a route's requests are built from: valid values, so that without REL-1 they would get deep. */
export interface RouteBase {
  params: Record<string, string>;
  query: Record<string, string>;
  form: Record<string, string>;
  json: Record<string, unknown>;
  headers: Record<string, string>;
}

export type Where = 'path' | 'query' | 'query name' | 'form' | 'json' | 'declared size' | 'huge header';

export interface FuzzCase {
  where: Where;
  /** What is sent there (a label), e.g. `%FF` or `ED A0 80`. */
  what: string;
  piece: Buffer;
  /** The fields it may go in (path parameters, query or form names, JSON members). */
  slots: string[];
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

const percent = (where: Where, slots: string[]) =>
  PERCENT.map((p): FuzzCase => ({ where, what: p, piece: Buffer.from(p), slots }));

/** Every case for a route: each sequence in each place the route could read it. */
export function casesFor(route: HttpRoute, base: RouteBase): FuzzCase[] {
  const params = paramsOf(route.path);
  const cases = [
    ...percent('path', params.length ? params : ['(extra segment)']),
    ...percent('query', [...Object.keys(base.query), 'fuzz']),
    { where: 'query name' as const, what: '%FF', piece: Buffer.from('%FF'), slots: ['(query)'] },
    {
      where: 'declared size' as const,
      what: `${DECLARED_BYTES} bytes`,
      piece: Buffer.alloc(0),
      slots: ['-'],
    },
    {
      where: 'huge header' as const,
      what: `${HUGE_HEADER.length} bytes`,
      piece: Buffer.alloc(0),
      slots: ['-'],
    },
  ];
  if (route.method === 'get') return cases;
  const formSlots = [...Object.keys(base.form), 'fuzz'];
  const jsonSlots = [...Object.keys(base.json), 'fuzz'];
  return [
    ...cases,
    ...percent('form', formSlots),
    ...Object.entries(RAW).map(([what, bytes]) => ({
      where: 'form' as const,
      what,
      piece: Buffer.from(bytes),
      slots: formSlots,
    })),
    ...Object.entries(RAW).map(([what, bytes]) => ({
      where: 'json' as const,
      what,
      piece: Buffer.from(bytes),
      slots: jsonSlots,
    })),
    ...JSON_ESCAPES.map((e) => ({
      where: 'json' as const,
      what: e,
      piece: Buffer.from(e),
      slots: jsonSlots,
    })),
    {
      where: 'json',
      what: `${DEEP_JSON_LEVELS} levels deep`,
      piece: Buffer.from('[deep]'),
      slots: jsonSlots,
    },
  ];
}

export interface Placement {
  slot: string;
  /** Harmless text around the piece (already fit for where it goes). */
  before: string;
  after: string;
}

const encodePairs = (values: Record<string, string>) =>
  Object.entries(values).map(([k, v]) => Buffer.from(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`));

function formText(values: Record<string, string>, slot: string, value: Buffer): Buffer {
  const rest = Object.fromEntries(Object.entries(values).filter(([k]) => k !== slot));
  const mine = Buffer.concat([Buffer.from(`${encodeURIComponent(slot)}=`), value]);
  const pairs = [...encodePairs(rest), mine];
  return Buffer.concat(pairs.flatMap((p, i) => (i ? [Buffer.from('&'), p] : [p])));
}

function jsonText(values: Record<string, unknown>, slot: string, value: Buffer, deep: boolean): Buffer {
  const marker = '§fuzz§';
  const [head, tail] = JSON.stringify({ ...values, [slot]: marker }).split(`"${marker}"`) as [string, string];
  const inner = deep
    ? Buffer.from(`${'['.repeat(DEEP_JSON_LEVELS)}${']'.repeat(DEEP_JSON_LEVELS)}`)
    : Buffer.concat([Buffer.from('"'), value, Buffer.from('"')]);
  return Buffer.concat([Buffer.from(head), inner, Buffer.from(tail)]);
}

/** The request of one case for one route, the piece in `at.slot` between `at.before` and `at.after`. */
export function buildRequest(route: HttpRoute, base: RouteBase, c: FuzzCase, at: Placement): RawRequest {
  const method = route.method.toUpperCase();
  const piece = Buffer.concat([Buffer.from(at.before), c.piece, Buffer.from(at.after)]);
  const params = Object.fromEntries(Object.entries(base.params).map(([k, v]) => [k, encodeURIComponent(v)]));
  let path = fillRoute(route.path, params);
  if (c.where === 'path') {
    path = at.slot.startsWith('(')
      ? `${path.replace(/\/$/, '')}/${piece}`
      : fillRoute(route.path, { ...params, [at.slot]: piece.toString() });
  }
  const query = { ...base.query };
  let queryText = encodePairs(query).join('&');
  if (c.where === 'query') queryText = formText(query, at.slot, piece).toString();
  if (c.where === 'query name') queryText = [queryText, `${piece}=1`].filter(Boolean).join('&');
  const target = queryText ? `${path}?${queryText}` : path;
  const headers = { ...base.headers };
  if (c.where === 'huge header')
    return { method, path: target, headers: { ...headers, 'x-fuzz': HUGE_HEADER } };
  if (c.where === 'declared size') {
    const type = route.surface === 'api' ? JSON_TYPE : FORM;
    const body = Buffer.alloc(64 * 1024, 0x61);
    return {
      method,
      path: target,
      headers: { ...headers, 'content-type': type },
      body,
      declaredLength: DECLARED_BYTES,
    };
  }
  if (c.where === 'form') {
    return {
      method,
      path: target,
      headers: { ...headers, 'content-type': FORM },
      body: formText(base.form, at.slot, piece),
    };
  }
  if (c.where === 'json') {
    const body = jsonText(base.json, at.slot, piece, c.what.endsWith('levels deep'));
    return { method, path: target, headers: { ...headers, 'content-type': JSON_TYPE }, body };
  }
  return { method, path: target, headers };
}

/** The status REL-1 demands: 431 from Node for the header, 413 for the size, 400 for the rest. */
export function expectedStatus(c: FuzzCase): number {
  if (c.where === 'huge header') return 431;
  if (c.where === 'declared size') return 413;
  return 400;
}

/**
 * The field the refusal must name. The whole body when its bytes are not text at all, or of a
 * type the route does not take (the API takes JSON, the pages forms; the provider reads both).
 */
export function expectedField(route: HttpRoute, c: FuzzCase, slot: string): string | undefined {
  if (c.where === 'path') return 'path';
  if (c.where === 'query') return slot;
  if (c.where === 'query name') return '(query)';
  if (c.where === 'form' || c.where === 'json') {
    const foreign =
      (route.surface === 'api' && c.where === 'form') || (route.surface === 'page' && c.where === 'json');
    const raw = Object.hasOwn(RAW, c.what) || c.what.endsWith('levels deep');
    return foreign || raw ? '(body)' : slot;
  }
  return undefined;
}
