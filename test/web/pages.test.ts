import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { assertCleanPage, EXPECTED_CSP, webApp } from './web-app.ts';

describe('page routes: assets, redirects, errors', () => {
  let env: TestEnv;
  let app: Express;
  before(async () => {
    env = await createTestEnv();
    app = webApp(env.container, env.clock);
  });
  after(() => env.close());

  test('the stylesheet is served as CSS with a one-year immutable cache, and pages link to it by content hash', async () => {
    const page = await request(app).get('/signup').expect(200);
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.text)?.[1];
    assert.match(href ?? '', /^\/assets\/canopy\.css\?v=[0-9a-f]{12}$/);
    const css = await request(app).get(href!).expect(200);
    assert.match(css.headers['content-type'] ?? '', /^text\/css; charset=utf-8/);
    assert.equal(css.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(css.headers['x-content-type-options'], 'nosniff');
    assert.match(css.text, /:focus-visible/);
    assert.doesNotMatch(css.text, /@import|url\(|https?:/, 'no external fonts or resources');
    const etag = css.headers.etag;
    assert.ok(etag);
    await request(app).get('/assets/canopy.css').set('If-None-Match', etag).expect(304);
  });

  test('GET / sends the browser to /signup with 303', async () => {
    const res = await request(app).get('/').expect(303);
    assert.equal(res.headers.location, '/signup');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  test('paths that are not pages still get the API JSON 404, without page headers', async () => {
    const res = await request(app).get('/api/v1/nothing').expect(404);
    assert.equal(res.body.code, 'request.not_found');
    assert.equal(res.headers['content-security-policy'], undefined);
  });

  test('an unexpected failure is a 500 page with the request id and none of the internal message', async () => {
    const failing = webApp(env.container, env.clock, {
      signUp: async () => {
        throw new Error('connection to db-primary.internal:5432 failed for user canopy_admin');
      },
    });
    const form = await request(failing).get('/signup').expect(200);
    const cookie = ([] as string[]).concat(form.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
    const token = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const res = await request(failing)
      .post('/signup')
      .set('Cookie', cookie)
      .set('X-Request-Id', 'req-page-500')
      .type('form')
      .send({ csrf: token, companyName: 'A', domain: 'abc', name: 'A', username: 'abc', email: 'a@b.c' })
      .expect(500);
    assertCleanPage(res.text);
    assert.equal(res.headers['content-security-policy'], EXPECTED_CSP);
    assert.match(res.text, /<h1>Something went wrong<\/h1>/);
    assert.match(
      res.text,
      /Quote this reference if you contact support: <span class="reference">req-page-500<\/span>/,
    );
    assert.doesNotMatch(res.text, /db-primary|canopy_admin|5432|Error:|\n\s+at /);
  });
});
