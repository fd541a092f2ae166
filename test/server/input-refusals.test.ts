import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { createApiTestEnv } from '../helpers/api-world.ts';
import { watchWrites } from '../helpers/db-snapshot.ts';
import { fuzzFixtures } from '../helpers/fuzz-bases.ts';
import { type RawRequest, sendRaw } from '../helpers/fuzz-http.ts';
import { chunk, requestHead, sendOnSocket } from '../helpers/raw-socket.ts';

// REL-1: the inputs issue 12 found answered with a 500, a wrong message, a mangled row or a 400
// instead of a 413 — each through the whole app, on the backend under test (PostgreSQL refuses
// 0x00 in text, which is how a NUL in a token used to become a 500).

const env = await createApiTestEnv();
const c = env.container;
const server = createServer(createApp(c));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await env.close();
});
const f = await fuzzFixtures(c);
const FORM = 'application/x-www-form-urlencoded';

/** Sends the request; its answer. It must write nothing, apart from rows of the `bookkeeping` tables. */
async function refused(r: RawRequest, bookkeeping: readonly string[] = []) {
  const { result, changed } = await watchWrites(c.database.knex, () => sendRaw(base, r));
  const wrote = changed
    .split('; ')
    .filter((line) => line !== '' && !bookkeeping.some((table) => line.startsWith(`${table}:`)));
  assert.deepEqual(wrote, [], `${r.method} ${r.path} wrote: ${changed}`);
  return result;
}

describe('REL-1: the refusals issue 12 asked for', () => {
  test('REL-1: a path that does not percent-decode to UTF-8 is a 400 page naming the path, not a 500', async () => {
    for (const path of ['/login/%FF', '/invitations/%FF', '/login/%E0%A4%A', '/interaction/%C0%AF']) {
      const res = await refused({ method: 'GET', path });
      assert.equal(res.status, 400, path);
      assert.match(res.contentType, /^text\/html/);
      assert.match(res.text, /Invalid input — path: segment 2 is not valid percent-encoded UTF-8/, path);
    }
  });

  test('REL-1: on the admin API the same is a 400 envelope saying the path is wrong, not "not valid JSON"', async () => {
    const res = await refused({
      method: 'GET',
      path: '/api/v1/users/%FF',
      headers: { authorization: `Bearer ${f.ownerToken}` },
    });
    assert.equal(res.status, 400);
    const body = JSON.parse(res.text);
    assert.equal(body.code, 'request.invalid_input');
    assert.deepEqual(body.details.fields, [
      { field: 'path', problem: 'segment 4 is not valid percent-encoded UTF-8' },
    ]);
    assert.doesNotMatch(body.message, /JSON/);
  });

  test('REL-1: a NUL in code, refresh_token or token is an OAuth invalid_request naming it, from a real client', async () => {
    const cases = [
      [
        '/oidc/token',
        'grant_type=authorization_code&redirect_uri=https%3A%2F%2Ffuzz.example%2Fcallback&code=ab%00cd',
      ],
      ['/oidc/token', 'grant_type=refresh_token&refresh_token=ab%00cd'],
      ['/oidc/token/introspection', 'token=ab%00cd'],
      ['/oidc/token/revocation', 'token=ab%00cd'],
    ] as const;
    for (const [path, form] of cases) {
      const res = await refused({
        method: 'POST',
        path,
        headers: { authorization: f.basic, 'content-type': FORM },
        body: Buffer.from(form),
      });
      const field = /(code|refresh_token|token)=ab%00/.exec(form)![1];
      assert.equal(res.status, 400, `${path} ${form}`);
      assert.equal(res.contentType.split(';')[0], 'application/json');
      const body = JSON.parse(res.text);
      assert.equal(body.error, 'invalid_request');
      assert.equal(body.error_description, `Invalid input — ${field}: contains a NUL character (form body)`);
    }
  });

  test('REL-1: a client ID with a NUL decoded from inside a token or a header is an unknown client, not a 500', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const jwt = (claims: object) => `${b64('{"alg":"none"}')}.${b64(JSON.stringify(claims))}.x`;
    const nul = '\u0000';
    // end_session looks the audience of an id_token_hint up before it checks the signature; the
    // logout page it would start may count the address (REL-4), which is not a write of this request.
    const hint = await refused(
      { method: 'GET', path: `/oidc/session/end?id_token_hint=${jwt({ aud: nul })}` },
      ['sign_in_attempts[*]'],
    );
    assert.equal(hint.status, 400, hint.text);
    assert.equal(JSON.parse(hint.text).error, 'invalid_client');
    // The provider percent-decodes a Basic credential, and reads an assertion's `sub` as the client ID.
    const basic = await refused({
      method: 'POST',
      path: '/oidc/token',
      headers: { authorization: `Basic ${Buffer.from('%00:x').toString('base64')}`, 'content-type': FORM },
      body: Buffer.from('grant_type=client_credentials'),
    });
    const assertion = await refused({
      method: 'POST',
      path: '/oidc/token',
      headers: { 'content-type': FORM },
      body: Buffer.from(
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: jwt({ sub: nul, iss: nul, aud: 'x', exp: 9_999_999_999, jti: 'j' }),
        }).toString(),
      ),
    });
    for (const res of [basic, assertion]) {
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
      assert.match(JSON.parse(res.text).error, /^invalid_(request|client)$/);
    }
  });

  test('REL-1: the apps and credentials refuse such a client ID themselves, without asking the database', async () => {
    for (const id of ['\0', `${f.clientId}\0`, 'é', 'a'.repeat(65)]) {
      assert.equal(await c.apps.findByClientId(id), undefined);
      assert.equal(await c.apps.verifySecret(id, 'x'), false);
      assert.equal(await c.credentials.findClient(id), undefined);
      assert.equal(await c.credentials.verifySecret(id, 'x'), null);
    }
    assert.equal((await c.apps.findByClientId(f.clientId))?.clientId, f.clientId);
  });

  test('REL-1: invalid UTF-8 in a JSON body is refused, not stored with U+FFFD', async () => {
    const name = Buffer.concat([
      Buffer.from('{"name":"Ops '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","permissions":["audit.view"]}'),
    ]);
    const res = await refused({
      method: 'POST',
      path: '/api/v1/roles',
      headers: { authorization: `Bearer ${f.ownerToken}`, 'content-type': 'application/json' },
      body: name,
    });
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.text).message, 'Invalid input — (body): is not valid UTF-8');
  });

  test('REL-1: 20 MB on /oidc/token is a 413 invalid_request saying "too large", declared or streamed', async () => {
    const headers = { authorization: f.basic, 'content-type': FORM };
    const declared = await refused({
      method: 'POST',
      path: '/oidc/token',
      headers,
      declaredLength: 20_000_000,
      body: Buffer.from('grant_type=client_credentials&x='),
    });
    const chunks = Array.from({ length: 20 }, () => Buffer.alloc(1_000_000, 0x61));
    const streamed = await refused({ method: 'POST', path: '/oidc/token', headers, chunks });
    for (const res of [declared, streamed]) {
      assert.equal(res.status, 413);
      const body = JSON.parse(res.text);
      assert.equal(body.error, 'invalid_request');
      assert.match(body.error_description, /too large/);
    }
  });

  test('REL-1: a body declared in another charset than UTF-8 is a 400 naming the charset, not stored mangled', async () => {
    const token = await refused({
      method: 'POST',
      path: '/oidc/token',
      headers: { authorization: f.basic, 'content-type': `${FORM}; charset=iso-8859-1` },
      body: Buffer.from('grant_type=client_credentials&scope=%C3%A9'),
    });
    assert.equal(token.status, 400);
    assert.equal(JSON.parse(token.text).error, 'invalid_request');
    assert.match(JSON.parse(token.text).error_description, /\(body\): declares a charset other than UTF-8/);
    const api = await refused({
      method: 'POST',
      path: '/api/v1/roles',
      headers: {
        authorization: `Bearer ${f.ownerToken}`,
        'content-type': 'application/json; charset=utf-16',
      },
      body: Buffer.from('{"name":"Ops","permissions":["audit.view"]}'),
    });
    assert.equal(api.status, 400);
    assert.deepEqual(JSON.parse(api.text).details.fields, [
      { field: '(body)', problem: 'declares a charset other than UTF-8 (send charset=utf-8, or none)' },
    ]);
  });

  test('REL-1: an empty chunked body on /oidc/token gets the provider\'s own answer, not "did not arrive whole"', async () => {
    const head = requestHead('POST', '/oidc/token', {
      host: new URL(base).host,
      authorization: f.basic,
      'content-type': FORM,
      'transfer-encoding': 'chunked',
      connection: 'close',
    });
    // In one packet (the body has arrived before anyone reads), and in two (it arrives while waiting).
    for (const parts of [[head + chunk('')], [head, chunk('')]]) {
      const { result: res, changed } = await watchWrites(c.database.knex, () => sendOnSocket(base, ...parts));
      assert.equal(changed, '');
      assert.equal(res.status, 400, res.body);
      assert.deepEqual(JSON.parse(res.body), {
        error: 'invalid_request',
        error_description: "missing required parameter 'grant_type'",
      });
    }
  });

  test('REL-1: after a 413 for a chunked body on /oidc/token the connection closes, unread', {
    timeout: 20_000,
  }, async () => {
    // The body never ends: the answer is only complete (sendOnSocket resolves) if the server closes.
    const res = await sendOnSocket(
      base,
      requestHead('POST', '/oidc/token', {
        host: new URL(base).host,
        authorization: f.basic,
        'content-type': FORM,
        'transfer-encoding': 'chunked',
      }),
      chunk(`grant_type=client_credentials&x=${'y'.repeat(60 * 1024)}`),
    );
    assert.equal(res.status, 413);
    assert.equal(res.headers.connection, 'close');
    assert.match(JSON.parse(res.body).error_description, /too large/);
  });

  test("REL-1: a body over a route's own limit is a 413 on the API and on a page too", async () => {
    const api = await refused({
      method: 'POST',
      path: '/api/v1/roles',
      headers: { authorization: `Bearer ${f.ownerToken}`, 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ name: 'x'.repeat(70_000) })),
    });
    assert.equal(api.status, 413);
    assert.equal(JSON.parse(api.text).code, 'request.too_large');
    const page = await refused({
      method: 'POST',
      path: '/signup',
      headers: { 'content-type': FORM },
      body: Buffer.from(`companyName=${'x'.repeat(20_000)}`),
    });
    assert.equal(page.status, 413);
    assert.match(page.text, /too large: at most 16 KiB/);
  });
});
