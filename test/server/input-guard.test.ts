import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { createClientStore } from '../../src/oidc/client-store.ts';
import { isClientIdShaped } from '../../src/platform/client-id.ts';
import { newClientId } from '../../src/platform/crypto/random.ts';
import { AppError } from '../../src/platform/errors/index.ts';
import { checkBodyInPlace } from '../../src/platform/http/body-in-place.ts';
import { formBody, jsonBody } from '../../src/platform/http/body-parsers.ts';
import {
  charsetProblem,
  decodeUtf8,
  formProblem,
  jsonDepthProblem,
  jsonValueProblem,
  MAX_JSON_DEPTH,
  pathProblem,
} from '../../src/platform/http/input-checks.ts';
import { asInputError, inputGuard } from '../../src/platform/http/input-guard.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createLocalSignalBus } from '../../src/platform/signals.ts';
import { PERCENT, RAW } from '../helpers/fuzz-bytes.ts';
import { sendRaw } from '../helpers/fuzz-http.ts';
import { chunk, requestHead, sendOnSocket } from '../helpers/raw-socket.ts';

// REL-1, unit by unit: the checks on their own, then the guard and the body parsers on a bare
// Express app whose error handler echoes the AppError they produce.

describe('REL-1: the input checks', () => {
  test('REL-1: every malformed, non-UTF-8, overlong, surrogate or NUL path segment is named by position', () => {
    for (const bad of PERCENT) {
      assert.deepEqual(pathProblem(`/login/${bad}`)?.field, 'path', bad);
      assert.match(pathProblem(`/a/b/${bad}`)!.problem, /^segment 3 /, bad);
    }
    for (const good of ['/', '/login/acme', '/a%2Fb/%E2%82%AC', '/%F0%9F%8C%B2', '/x/%20y']) {
      assert.equal(pathProblem(good), undefined, good);
    }
  });

  test('REL-1: a query or form value is named by its parameter; a bad name is named as a name', () => {
    for (const bad of PERCENT) {
      assert.deepEqual(formProblem(`a=1&code=x${bad}&b=2`, 'query string')?.field, 'code', bad);
      assert.match(formProblem(`${bad}=1`, 'form body')!.problem, /^a name /, bad);
    }
    assert.match(formProblem('token=a%00b', 'form body')!.problem, /NUL.*\(form body\)/);
    assert.equal(formProblem('q=caf%C3%A9+au+lait&x&&y=', 'query string'), undefined);
    assert.equal(formProblem('raw\u0000', 'form body')?.field, '(body)');
  });

  test('REL-1: bytes that are not UTF-8 are refused, never replaced with U+FFFD', () => {
    for (const [name, bytes] of Object.entries(RAW).filter(([n]) => !n.startsWith('00'))) {
      assert.equal(decodeUtf8(Buffer.from([0x61, ...bytes, 0x62])), undefined, name);
    }
    assert.equal(decodeUtf8(Buffer.from('café 🌲')), 'café 🌲');
  });

  test(`REL-1: JSON deeper than ${MAX_JSON_DEPTH} levels is refused before parsing; brackets in strings do not count`, () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    assert.equal(jsonDepthProblem(nested(MAX_JSON_DEPTH)), undefined);
    assert.equal(jsonDepthProblem(nested(MAX_JSON_DEPTH + 1))?.field, '(body)');
    assert.equal(jsonDepthProblem(nested(10_000))?.field, '(body)');
    assert.equal(jsonDepthProblem(`{"a":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`), undefined);
  });

  test('REL-1: a NUL or a lone surrogate anywhere in parsed JSON is named by its path', () => {
    assert.deepEqual(jsonValueProblem(JSON.parse('{"roles":[{"roleId":"a\\u0000"}]}')), {
      field: 'roles.0.roleId',
      problem: 'contains a NUL character',
    });
    assert.equal(jsonValueProblem(JSON.parse('{"name":"\\ud800"}'))?.field, 'name');
    assert.match(jsonValueProblem(JSON.parse('{"a\\u0000":1}'))!.problem, /member name/);
    assert.equal(jsonValueProblem(JSON.parse('{"a":["é",1,null,{"b":"🌲"}]}')), undefined);
  });

  test('REL-1: a body may declare no charset or UTF-8 (any case, quoted or not); any other is refused', () => {
    for (const ok of [
      undefined,
      'application/json',
      'text/plain; charset=UTF-8',
      'a/b;foo=1; charset="utf-8"',
    ]) {
      assert.equal(charsetProblem(ok), undefined, ok);
    }
    for (const bad of [
      'a/b; charset=iso-8859-1',
      'a/b;charset=utf-16',
      'a/b; charset=utf8',
      'a/b; charset=',
    ]) {
      assert.deepEqual(charsetProblem(bad)?.field, '(body)', bad);
      assert.match(charsetProblem(bad)!.problem, /charset other than UTF-8/, bad);
    }
    assert.ok(charsetProblem('a/b; charset=utf-8; charset=latin1'), 'every charset parameter counts');
  });

  test('REL-1: parser and router errors map to the AppError that names them; others are not input errors', () => {
    const uri = Object.assign(new URIError('URI malformed'), { status: 400 });
    assert.equal(asInputError(uri)?.code, 'request.invalid_input');
    assert.match(asInputError(uri)!.message, /path/);
    assert.equal(
      asInputError({ type: 'entity.too.large', status: 413, limit: 1024 })?.code,
      'request.too_large',
    );
    assert.match(asInputError({ type: 'entity.parse.failed', status: 400 })!.message, /not valid JSON/);
    assert.equal(asInputError(new Error('boom')), undefined);
    assert.equal(asInputError({ status: 400 }), undefined);
  });
});

describe('REL-1: the guard and the body parsers on an Express app', () => {
  let server: Server;
  let base = '';
  before(async () => {
    const app = express();
    app.use(inputGuard({ refuse: (_req, _res, next, error) => next(error), maxBodyBytes: 1024 }));
    app.post('/json', jsonBody({ limit: '512b' }), (req, res) => res.json({ got: req.body }));
    app.post('/form', formBody({ limit: '512b' }), (req, res) => res.json({ got: req.body }));
    // Checked in place, then read by the handler as a consumer with its own parser would.
    app.post('/raw', async (req, res) => {
      await checkBodyInPlace(req, 512);
      // Still to be read: a consumer that finds it ended takes it for parsed by someone else.
      const unread = req.readable;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      res.json({ got: Buffer.concat(chunks).toString(), unread });
    });
    app.get('/:thing', (req, res) => res.json({ got: req.params.thing }));
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const e = err instanceof AppError ? err : asInputError(err);
      res.status(e?.status ?? 500).json({ code: e?.code, message: e?.message, details: e?.details });
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = async (method: string, path: string, type?: string, body?: Buffer | string) => {
    const res = await sendRaw(base, {
      method,
      path,
      headers: type ? { 'content-type': type } : {},
      body: body === undefined ? undefined : Buffer.from(body),
    });
    return {
      status: res.status,
      body: JSON.parse(res.text) as { got?: unknown; code?: string; message?: string },
    };
  };
  const JSON_TYPE = 'application/json';
  const FORM = 'application/x-www-form-urlencoded';

  test('REL-1: the guard refuses a bad path or query before routing, and a declared body over the limit', async () => {
    assert.equal((await send('GET', '/caf%C3%A9')).body.got, 'café');
    assert.match((await send('GET', '/%E0%A4%A')).body.message!, /^Invalid input — path: segment 1/);
    assert.match((await send('GET', '/x?state=%C0%AF')).body.message!, /state: is not valid/);
    const big = await sendRaw(base, {
      method: 'POST',
      path: '/json',
      declaredLength: 20_000_000,
      body: Buffer.alloc(10),
    });
    assert.equal(big.status, 413);
  });

  test('REL-1: JSON bodies — clean ones pass; bad bytes, NUL, surrogates, depth and size are 4xx naming why', async () => {
    assert.deepEqual((await send('POST', '/json', JSON_TYPE, '{"a":"é"}')).body.got, { a: 'é' });
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    assert.match((await send('POST', '/json', JSON_TYPE, bad)).body.message!, /\(body\): is not valid UTF-8/);
    assert.match(
      (await send('POST', '/json', JSON_TYPE, '{"a":["\\u0000"]}')).body.message!,
      /a\.0: contains a NUL/,
    );
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    assert.match((await send('POST', '/json', JSON_TYPE, deep)).body.message!, /deeper/);
    const large = await send('POST', '/json', JSON_TYPE, JSON.stringify({ a: 'x'.repeat(600) }));
    assert.equal(large.status, 413);
    assert.match(large.body.message!, /at most 512 bytes/);
    assert.match((await send('POST', '/json', FORM, 'a=1')).body.message!, /must be application\/json/);
  });

  test('REL-1: form bodies — each field is percent-decoded to clean text or named', async () => {
    assert.deepEqual((await send('POST', '/form', FORM, 'a=caf%C3%A9')).body.got, { a: 'café' });
    assert.match(
      (await send('POST', '/form', FORM, 'csrf=1&username=%FF')).body.message!,
      /username: is not valid/,
    );
    const raw = Buffer.concat([Buffer.from('a='), Buffer.from([0xc3, 0x28])]);
    assert.match((await send('POST', '/form', FORM, raw)).body.message!, /\(body\): is not valid UTF-8/);
    assert.equal((await send('POST', '/form', FORM, `a=${'x'.repeat(600)}`)).status, 413);
  });

  test('REL-1: a body declared in another charset than UTF-8 is refused by every parser, never decoded as that', async () => {
    const LATIN1 = `${FORM}; charset=iso-8859-1`;
    for (const path of ['/form', '/raw']) {
      const res = await send('POST', path, LATIN1, 'name=%C3%A9');
      assert.equal(res.status, 400, path);
      assert.match(res.body.message!, /^Invalid input — \(body\): declares a charset other than UTF-8/, path);
    }
    for (const path of ['/json', '/raw']) {
      const res = await send('POST', path, `${JSON_TYPE}; charset=utf-16`, '{"a":"b"}');
      assert.match(res.body.message!, /\(body\): declares a charset other than UTF-8/, path);
    }
    assert.deepEqual((await send('POST', '/form', `${FORM}; charset=UTF-8`, 'name=%C3%A9')).body.got, {
      name: 'é',
    });
    assert.deepEqual((await send('POST', '/json', `${JSON_TYPE};charset="utf-8"`, '{"a":"é"}')).body.got, {
      a: 'é',
    });
  });

  test('REL-1: an empty chunked body reaches a consumer with its own parser as an empty body', async () => {
    const head = requestHead('POST', '/raw', {
      host: 'x',
      'content-type': FORM,
      'transfer-encoding': 'chunked',
      connection: 'close',
    });
    // In one packet (the body has arrived before anyone reads), and in two (it arrives while waiting).
    for (const parts of [[head + chunk('')], [head, chunk('')]]) {
      const res = await sendOnSocket(base, ...parts);
      assert.equal(res.status, 200, res.body);
      assert.deepEqual(JSON.parse(res.body), { got: '', unread: true });
    }
  });

  test('REL-1: after a 413 for a chunked body nothing more is read: the connection closes', {
    timeout: 20_000,
  }, async () => {
    // The body never ends: the answer is only complete (sendOnSocket resolves) if the server closes.
    for (const path of ['/raw']) {
      const res = await sendOnSocket(
        base,
        requestHead('POST', path, { host: 'x', 'content-type': FORM, 'transfer-encoding': 'chunked' }),
        chunk(`a=${'b'.repeat(600)}`),
      );
      assert.equal(res.status, 413);
      assert.equal(res.headers.connection, 'close');
      assert.match(JSON.parse(res.body).message, /at most 512 bytes/);
    }
  });

  test('REL-1: a body for a consumer with its own parser is checked in place: the consumer reads every byte', async () => {
    assert.deepEqual((await send('POST', '/raw', FORM, 'code=abc&x=%C3%A9')).body, {
      got: 'code=abc&x=%C3%A9',
      unread: true,
    });
    const pieces = ['a=', 'b'.repeat(200), '&c=', 'd'.repeat(200)];
    const inChunks = await sendRaw(base, {
      method: 'POST',
      path: '/raw',
      headers: { 'content-type': FORM },
      chunks: pieces.map((p) => Buffer.from(p)),
    });
    assert.equal(JSON.parse(inChunks.text).got, pieces.join(''));
    assert.match((await send('POST', '/raw', FORM, 'code=a%00b')).body.message!, /code: contains a NUL/);
    assert.match(
      (await send('POST', '/raw', JSON_TYPE, '{"a":"\\ud800"}')).body.message!,
      /a: contains a lone/,
    );
    const chunked = await sendRaw(base, {
      method: 'POST',
      path: '/raw',
      headers: { 'content-type': FORM },
      chunks: Array.from({ length: 20 }, () => Buffer.alloc(1_000_000, 0x61)),
    });
    assert.equal(chunked.status, 413);
  });
});

describe('REL-1: client IDs the provider decodes from tokens and headers', () => {
  test('REL-1: one that cannot be a client ID is unknown to the client store, never cached nor looked up', async () => {
    const asked: string[] = [];
    const lookup = async (id: string) => {
      asked.push(id);
      return undefined;
    };
    const store = createClientStore({
      apps: { findByClientId: lookup, verifySecret: async () => false },
      credentials: { findClient: lookup, verifySecret: async () => null },
      signals: createLocalSignalBus(),
      logger: createLogger('silent'),
      now: Date.now,
    });
    for (const id of ['\0', 'abc\0', '', ' ', 'é', 'a\nb', 'a'.repeat(65), 'x'.repeat(100_000)]) {
      assert.equal(isClientIdShaped(id), false, JSON.stringify(id));
      assert.equal(await store.adapter.find(id), undefined, JSON.stringify(id));
    }
    assert.deepEqual(asked, []);
    // What Canopy issues, and its own clients' names, are looked up (apps first, then credentials).
    const issued = newClientId();
    assert.equal(await store.adapter.find(issued), undefined);
    assert.deepEqual(asked, [issued, issued]);
    for (const id of [issued, 'canopy-console', 'canopy-cli', 'a'.repeat(64)])
      assert.ok(isClientIdShaped(id), id);
  });
});
