import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Exit, killAll, logLines, type Server, startServer, waitForLog } from './server-process.ts';

// REL-5 as a load balancer meets a rolling restart: SIGTERM to a real server process (embedded
// database) under traffic on several keep-alive connections. Readiness fails at once while every
// request is still served for the drain delay; then the listener closes, the request in flight
// finishes, idle keep-alive connections are closed (the shutdown timeout is shorter than Node's
// keep-alive timeout, so a connection left open would show as a forced close), and the process exits 0.

const DRAIN_DELAY_SECONDS = 3;
const SHUTDOWN_TIMEOUT_SECONDS = 3;
/** A liveness bound on the exit, not a speed check. */
const EXIT_BOUND_MS = 30_000;

type Outcome = { status?: number; error?: string };

/** One GET; network failures are outcomes, not exceptions. `agent: false` opens a new connection. */
function get(base: string, route: string, agent: Agent | false): Promise<Outcome & { body: string }> {
  return new Promise((resolve) => {
    const req = request(new URL(route, base), { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, body: '' }));
    req.end();
  });
}

/** Workers sending requests back to back, each on its keep-alive connection, and one opening a new connection per request. */
function startTraffic(base: string, keepAliveWorkers: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: keepAliveWorkers });
  const routes = ['/healthz', '/.well-known/openid-configuration'];
  const outcomes: Outcome[] = [];
  const counts: number[] = [];
  let stopping = false;
  const worker = async (i: number, via: Agent | false) => {
    counts[i] = 0;
    while (!stopping) {
      const { status, error } = await get(base, routes[counts[i]! % routes.length]!, via);
      outcomes.push(error ? { error } : { status });
      counts[i]! += 1;
    }
  };
  const running = [
    ...Array.from({ length: keepAliveWorkers }, (_, i) => worker(i, agent)),
    worker(keepAliveWorkers, false),
  ];
  return {
    outcomes,
    /** Resolves once every worker has completed `n` more requests than when called. */
    async moreRounds(n: number) {
      const target = counts.map((c) => c + n);
      while (counts.some((c, i) => c < target[i]!)) await sleep(5);
    },
    async stop() {
      stopping = true;
      await Promise.all(running);
    },
    agent,
  };
}

/** A request whose body is still arriving: its headers are sent, the rest of the body on `finish()`. */
async function slowRequest(base: string) {
  const { hostname, port } = new URL(base);
  const socket: Socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let response = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    response += chunk;
  });
  const closed = new Promise<string | undefined>((resolve) => {
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.once('close', () => resolve(undefined));
  });
  const body = 'grant_type=client_credentials&scope=openid';
  socket.write(
    `POST /oidc/token HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
  );
  return {
    async finish(): Promise<{ response: string; error: string | undefined }> {
      socket.write(body.slice(10));
      const error = await closed;
      return { response, error };
    },
  };
}

async function exitWithin(server: Server, ms: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server did not exit within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([server.exited, bound]);
  } finally {
    clearTimeout(timer);
  }
}

after(killAll);

describe('REL-5: graceful shutdown', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-shutdown-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('REL-5: graceful shutdown — SIGTERM: /readyz 503 at once, requests served through the drain, in-flight finished, exit 0', async () => {
    const server = await startServer({
      DATA_DIR: dataDir,
      DRAIN_DELAY_SECONDS: String(DRAIN_DELAY_SECONDS),
      SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
    });
    assert.equal((await get(server.base, '/readyz', false)).status, 200, 'ready before the signal');
    const traffic = startTraffic(server.base, 4);
    await traffic.moreRounds(3);

    server.proc.kill('SIGTERM');
    let readiness = await get(server.base, '/readyz', false);
    for (let i = 0; i < 200 && readiness.status === 200; i++) {
      await sleep(10);
      readiness = await get(server.base, '/readyz', false);
    }
    assert.equal(readiness.status, 503, `readiness after SIGTERM: ${JSON.stringify(readiness)}`);
    assert.equal(JSON.parse(readiness.body).status, 'draining');

    // Draining: still accepting new connections and serving every request, on every connection.
    const slow = await slowRequest(server.base);
    const fresh = await get(server.base, '/healthz', false);
    assert.equal(fresh.status, 200, `a new connection during the drain: ${JSON.stringify(fresh)}`);
    await traffic.moreRounds(10);
    await traffic.stop();
    const closing = await waitForLog(server, (l) => l.msg.startsWith('closing the listener'));
    const failed = traffic.outcomes.filter((o) => o.status !== 200);
    assert.deepEqual(failed, [], 'every request sent during the drain was answered 200');
    assert.ok(traffic.outcomes.length >= 5 * 14, `requests were made: ${traffic.outcomes.length}`);
    assert.ok(Number(closing.inFlight) >= 1, 'the slow request was in flight when the listener closed');

    // The listener is closed: the request in flight still gets its whole answer, then its connection ends.
    const refused = await get(server.base, '/healthz', false);
    assert.ok(refused.error, `a new connection after the drain is refused: ${JSON.stringify(refused)}`);
    const { response, error } = await slow.finish();
    assert.equal(error, undefined, `the slow request's connection failed: ${error}`);
    assert.match(response, /^HTTP\/1\.1 [1-4]\d\d /, `a complete answer: ${response.slice(0, 200)}`);
    assert.match(response, /\r\nconnection: close\r\n/i, 'its connection ends with the answer');

    const exit = await exitWithin(server, EXIT_BOUND_MS);
    traffic.agent.destroy();
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
    const lines = logLines(server.stdout());
    const steps = lines
      .map((l) => l.msg)
      .filter((m) => /^(shutting down|closing the listener|stopped)/.test(m));
    assert.deepEqual(
      steps.map((m) => m.split(';')[0]),
      ['shutting down', 'closing the listener', 'stopped'],
    );
    const start = lines.find((l) => l.msg === 'shutting down');
    assert.equal(start?.signal, 'SIGTERM');
    assert.equal(start?.drainDelaySeconds, DRAIN_DELAY_SECONDS);
    assert.ok(
      !lines.some((l) => /did not finish in time/.test(l.msg)),
      'no connection had to be cut: idle keep-alive connections were closed, the slow request finished',
    );
  });

  test('REL-5: graceful shutdown — SIGINT (Ctrl-C) skips the drain delay and exits 0', async () => {
    const server = await startServer({ DATA_DIR: dataDir, DRAIN_DELAY_SECONDS: '120' });
    server.proc.kill('SIGINT');
    const exit = await exitWithin(server, EXIT_BOUND_MS);
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
    const start = logLines(server.stdout()).find((l) => l.msg === 'shutting down');
    assert.deepEqual([start?.signal, start?.drainDelaySeconds], ['SIGINT', 0]);
    assert.equal(logLines(server.stdout()).at(-1)?.msg, 'stopped');
  });
});
