import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { AdapterPayload } from 'oidc-provider';
import { freePort } from '../helpers/child-processes.ts';
import {
  keysUnder,
  openWriteThrough,
  type WriteThroughWorld,
  waitOutBlackout,
} from './adapters.cache-helpers.ts';

// REL-3: a Redis restart. With persistence, Redis brings back the copies it had at its last
// snapshot, including copies of artefacts destroyed since; they must never be served. The test
// runs a Redis server of its own (`redis-server`, snapshots on demand only) and restarts it.

const id = () => randomUUID().replaceAll('-', '');
const payload = (kind: string, extra: Partial<AdapterPayload> = {}): AdapterPayload => ({
  kind,
  uid: id(),
  accountId: 'someone',
  clientId: 'client-a',
  ...extra,
});

/** A Redis server on `port` keeping its snapshot in `dir` (written by SAVE only). */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, '--dir', dir, '--dbfilename', 'dump.rdb'], {
    stdio: 'ignore',
  });
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => {}); // refused until the server listens
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return child;
      } catch {
        await sleep(50);
      }
    }
  } finally {
    probe.disconnect();
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const skip = !process.env.REDIS_URL
  ? 'REDIS_URL is not set: the Redis runs are not tested'
  : hasRedisServer
    ? false
    : 'redis-server is not installed: a restart cannot be simulated';

describe('REL-3 a Redis restart', { skip }, () => {
  let dir: string;
  let port: number;
  let server: ChildProcess;
  let w: WriteThroughWorld;
  let raw: Redis;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'canopy-redis-'));
    port = await freePort();
    server = await startRedis(port, dir);
    w = await openWriteThrough({ url: `redis://127.0.0.1:${port}` });
    raw = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50, maxRetriesPerRequest: 20 });
    raw.on('error', () => {}); // refused while the server restarts
    await waitOutBlackout(w.redis, w.prefix);
  });
  after(async () => {
    raw.disconnect();
    await w.close();
    await kill(server);
    rmSync(dir, { recursive: true, force: true });
  });
  const adapter = (model: string) => new w.Adapter(model);

  async function restart(): Promise<void> {
    const before = w.namespace.current()?.root;
    await kill(server);
    server = await startRedis(port, dir);
    for (let i = 0; i < 250 && [undefined, before].includes(w.namespace.current()?.root); i++)
      await sleep(20);
    assert.notEqual(w.namespace.current()?.root, before, 'a new namespace: the new run_id');
  }

  test('REL-3 with persistence, restored copies of destroyed or revoked artefacts are never served', async () => {
    const [kept, destroyed, token, grantId] = [id(), id(), id(), id()];
    const keptPayload = payload('Session');
    await adapter('Session').upsert(kept, keptPayload, 600);
    await adapter('Session').upsert(destroyed, payload('Session'), 600);
    await adapter('AccessToken').upsert(token, payload('AccessToken', { grantId }), 600);
    const oldKeys = await w.keys();
    assert.equal(await raw.hexists(oldKeys.artefact('Session', destroyed), 'payload'), 1, 'cached');
    await raw.save(); // the snapshot holds the copies

    await adapter('Session').destroy(destroyed);
    await adapter('AccessToken').revokeByGrantId(grantId);
    await restart();

    // The snapshot really brought the stale copies back, under the old server's run_id.
    assert.equal(await raw.hexists(oldKeys.artefact('Session', destroyed), 'payload'), 1, 'restored');
    assert.equal(await raw.hexists(oldKeys.artefact('AccessToken', token), 'payload'), 1, 'restored');
    assert.equal(await adapter('Session').find(destroyed), undefined, 'the destroyed session');
    assert.equal(await adapter('AccessToken').find(token), undefined, 'the revoked token');
    assert.deepEqual(await adapter('Session').find(kept), keptPayload, 'the rest is found');
    assert.deepEqual(await adapter('Session').findByUid(keptPayload.uid!), keptPayload);

    await waitOutBlackout(w.redis, w.prefix);
    const fresh = id();
    await adapter('Session').upsert(fresh, payload('Session'), 600);
    const newKeys = await w.keys();
    assert.equal(await raw.hexists(newKeys.artefact('Session', fresh), 'payload'), 1, 'cached again, anew');
  });

  test('REL-3 without persistence, a restart loses nothing: the record answers', async () => {
    const [key, token] = [id(), id()];
    const saved = payload('Session');
    await adapter('Session').upsert(key, saved, 600);
    await adapter('RefreshToken').upsert(token, payload('RefreshToken', { grantId: id() }), 600);
    rmSync(path.join(dir, 'dump.rdb'), { force: true });
    await restart();
    const copies = (await keysUnder(raw, '*')).filter((k) => !k.endsWith(':epoch'));
    assert.deepEqual(copies, [], 'the new server holds no copy');
    assert.deepEqual(await adapter('Session').find(key), saved);
    assert.ok(await adapter('RefreshToken').find(token));
  });
});
