import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import knexFactory from 'knex';
import { loadConfig } from '../../src/config/load.ts';
import { createContainer } from '../../src/container.ts';
import {
  killAll,
  logLines,
  runToExit,
  type Server,
  SHUTDOWN_TIMEOUT_SECONDS,
  startServer,
  stopServer,
  UUID,
  waitForLog,
} from './server-process.ts';

// The server as an operator runs it (see server-process.ts): health, readiness, metrics, errors,
// request ids, JSON logs, clean shutdown, restart on the same data, and refusals at start.
// Six spawns at most: three on the embedded database, one bad config, two on PostgreSQL + Redis.

/** An in-process container on the embedded database in `dataDir` (no server may run on it meanwhile). */
function openEmbedded(dataDir: string) {
  return createContainer(
    loadConfig({
      env: {},
      overrides: { storage: { dataDir, databaseUrl: null, redisUrl: null }, log: { level: 'silent' } },
    }),
  );
}

after(killAll);

describe('server on the embedded database', () => {
  let dataDir: string;
  let server: Server;
  const domain = `survivor${process.pid}`;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-server-'));
    server = await startServer({
      DATA_DIR: dataDir,
      SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
    });
  });
  after(() => {
    if (server?.proc.exitCode === null) server.proc.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('/healthz answers 200 {status: "ok"}', async () => {
    const res = await fetch(`${server.base}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('/readyz answers 200 with the database checked, and no Redis check when Redis is not configured', async () => {
    const res = await fetch(`${server.base}/readyz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; checks: Record<string, string> };
    assert.equal(body.status, 'ready');
    assert.deepEqual(body.checks, { database: 'ok' });
  });

  test('an unknown path answers 404 with the error envelope {code, message, requestId}', async () => {
    const res = await fetch(`${server.base}/no/such/path?token=secret-in-query`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'requestId']);
    assert.equal(body.code, 'request.not_found');
    assert.equal(typeof body.message, 'string');
    assert.ok((body.message as string).length > 0);
    assert.equal(body.requestId, res.headers.get('x-request-id'));
    assert.match(body.requestId as string, UUID);
  });

  test('a sane X-Request-Id is echoed, in the header, the error body and the log line', async () => {
    const id = `trace-${randomBytes(6).toString('hex')}.A_1`;
    const res = await fetch(`${server.base}/nowhere`, { headers: { 'X-Request-Id': id } });
    assert.equal(res.headers.get('x-request-id'), id);
    assert.equal(((await res.json()) as { requestId: string }).requestId, id);
    const line = await waitForLog(server, (l) => l.requestId === id);
    assert.equal(line.msg, 'request');
    assert.equal(line.status, 404);
    assert.equal(line.method, 'GET');
    assert.equal(line.level, 'info');
  });

  test('an X-Request-Id that is too long or holds unsafe characters is replaced by a fresh id', async () => {
    for (const bad of ['a'.repeat(300), 'has spaces in it', 'semi;colon', '']) {
      const res = await fetch(`${server.base}/healthz`, { headers: { 'X-Request-Id': bad } });
      assert.equal(res.status, 200);
      const id = res.headers.get('x-request-id') ?? '';
      assert.notEqual(id, bad);
      assert.match(id, UUID, `replacement for ${JSON.stringify(bad.slice(0, 20))}`);
    }
    const a = (await fetch(`${server.base}/healthz`)).headers.get('x-request-id');
    const b = (await fetch(`${server.base}/healthz`)).headers.get('x-request-id');
    assert.notEqual(a, b, 'each request without an id gets its own');
  });

  test('/metrics is Prometheus text with the request-duration histogram by route and status', async () => {
    const res = await fetch(`${server.base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^# TYPE canopy_http_request_duration_seconds histogram$/m);
    assert.match(
      text,
      /^canopy_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} [1-9]\d*$/m,
    );
    assert.match(
      text,
      /^canopy_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]\d*$/m,
    );
    assert.match(text, /^process_cpu_seconds_total /m, 'default process metrics are collected');
  });

  test('logs on stdout are JSON lines; request lines carry a requestId and no query string', async () => {
    const lines = logLines(server.stdout());
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.equal(typeof line.level, 'string');
      assert.equal(typeof line.msg, 'string');
      assert.equal(line.service, 'canopy');
    }
    assert.ok(
      lines.some((l) => l.msg === 'canopy listening' && l.port === Number(new URL(server.base).port)),
    );
    const requests = lines.filter((l) => l.msg === 'request');
    assert.ok(requests.length >= 5);
    for (const line of requests) assert.equal(typeof line.requestId, 'string');
    assert.equal(server.stdout().includes('secret-in-query'), false);
  });

  test('CRED-6 the first embedded start generates DATA_DIR/secrets.key (0600) and warns about it', () => {
    const file = path.join(dataDir, 'secrets.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const warning = logLines(server.stdout()).find((l) => l.level === 'warn' && /SECRETS_KEY/.test(l.msg));
    assert.ok(warning, 'a warning names SECRETS_KEY');
  });

  test('a second server on the same DATA_DIR is refused with a message naming the DATA_DIR', async () => {
    const second = await runToExit({ DATA_DIR: dataDir });
    assert.notEqual(second.code, 0);
    assert.notEqual(second.code, null);
    assert.ok(
      second.stderr.includes(dataDir) || second.stdout.includes(dataDir),
      `no mention of ${dataDir} in:\n${second.stderr}${second.stdout}`,
    );
    assert.match(second.stderr + second.stdout, /in use/);
    // The first server is unharmed.
    assert.equal((await fetch(`${server.base}/readyz`)).status, 200);
  });

  test('SIGTERM stops the server: exit 0 within the shutdown timeout, "stopped" logged, DATA_DIR released', async () => {
    const exit = await stopServer(server);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    assert.ok(exit.ms < SHUTDOWN_TIMEOUT_SECONDS * 1000, `took ${exit.ms} ms`);
    const lines = logLines(server.stdout());
    assert.ok(lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'));
    assert.equal(lines.at(-1)?.msg, 'stopped');
    assert.equal(existsSync(path.join(dataDir, 'canopy.pid')), false);
  });

  test('a second start on the same DATA_DIR keeps what was created before', async () => {
    // Data written between two starts (the embedded database is single-process: no server runs now).
    const writer = await openEmbedded(dataDir);
    try {
      await writer.signUp(
        { actor: { kind: 'anonymous' }, requestId: 'server-test' },
        {
          companyName: 'Survivor Inc',
          domain,
          username: 'keeper',
          email: 'keeper@survivor.test',
          name: 'Kim Keeper',
          password: 'correct horse battery staple',
        },
      );
    } finally {
      await writer.close();
    }

    const again = await startServer({
      DATA_DIR: dataDir,
      SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
    });
    try {
      const ready = await fetch(`${again.base}/readyz`);
      assert.equal(ready.status, 200);
      const lines = logLines(again.stdout());
      assert.equal(
        lines.some((l) => l.msg === 'database migrated'),
        false,
        'the second start found the schema in place',
      );
      assert.equal(
        lines.some((l) => l.level === 'warn' && /SECRETS_KEY/.test(l.msg)),
        false,
        'the second start reused the key (it opened the sealed secrets written before)',
      );
    } finally {
      const exit = await stopServer(again);
      assert.equal(exit.code, 0, again.stderr());
    }

    const reader = await openEmbedded(dataDir);
    try {
      const org = await reader.organizations.findByDomain(domain);
      assert.ok(org, 'the organization survived the restart');
      assert.equal(org.name, 'Survivor Inc');
    } finally {
      await reader.close();
    }
  });
});

test('a bad configuration value stops the start with exit 78 and a message naming PORT', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-server-bad-'));
  try {
    const exit = await runToExit({ DATA_DIR: dataDir, PORT: 'abc' }, 15_000);
    assert.equal(exit.code, 78, exit.stderr);
    assert.match(exit.stderr, /Invalid configuration/);
    assert.match(exit.stderr, /\bPORT\b/);
    assert.equal(existsSync(path.join(dataDir, 'pglite')), false, 'nothing was opened');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;

describe('server on PostgreSQL and Redis', {
  skip:
    databaseUrl && redisUrl ? false : 'DATABASE_URL and REDIS_URL not both set: server not tested on them',
}, () => {
  // Each run works in a schema of its own (through the connection's search_path), dropped afterwards.
  const schema = `canopy_srv_${process.pid}_${randomBytes(4).toString('hex')}`;
  let scopedUrl: string;
  let dataDir: string;
  const admin = () => knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-server-pg-'));
    const url = new URL(databaseUrl!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    scopedUrl = url.toString();
    const db = admin();
    try {
      await db.raw(`create schema ${schema}`);
    } finally {
      await db.destroy();
    }
  });
  after(async () => {
    const db = admin();
    try {
      await db.raw(`drop schema if exists ${schema} cascade`);
    } finally {
      await db.destroy();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('CRED-6 with DATABASE_URL but no SECRETS_KEY the start fails, naming SECRETS_KEY', async () => {
    const exit = await runToExit({ DATA_DIR: dataDir, DATABASE_URL: scopedUrl });
    assert.notEqual(exit.code, 0);
    assert.notEqual(exit.code, null);
    assert.match(exit.stderr, /SECRETS_KEY/);
    assert.equal(existsSync(path.join(dataDir, 'secrets.key')), false, 'no key was generated');
  });

  test('/readyz checks both the database and Redis', async () => {
    const server = await startServer({
      DATA_DIR: dataDir,
      DATABASE_URL: scopedUrl,
      REDIS_URL: redisUrl!,
      REDIS_KEY_PREFIX: `canopy-srv-test:${schema}:`,
      SECRETS_KEY: randomBytes(32).toString('hex'),
      SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
    });
    try {
      const res = await fetch(`${server.base}/readyz`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ready', checks: { database: 'ok', redis: 'ok' } });
      const listening = await waitForLog(server, (l) => l.msg === 'canopy listening');
      assert.equal(listening.database, 'postgres');
      assert.equal(existsSync(path.join(dataDir, 'pglite')), false, 'the embedded database was not used');
    } finally {
      const exit = await stopServer(server);
      assert.equal(exit.code, 0, server.stderr());
    }
    const db = admin();
    try {
      const tables = await db('information_schema.tables')
        .where({ table_schema: schema })
        .pluck('table_name');
      assert.ok(tables.includes('organizations'), 'the server migrated the schema it was pointed at');
    } finally {
      await db.destroy();
    }
  });
});
