import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterPayload } from 'oidc-provider';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { openWriteThrough, type WriteThroughWorld, waitOutBlackout } from './adapters.cache-helpers.ts';

// REL-3 while Redis is away: the adapter's Redis connection goes through a TCP proxy the test cuts
// and hangs (the shared Redis itself is never touched).

const id = () => randomUUID().replaceAll('-', '');
const session = (n: number): AdapterPayload => ({ uid: id(), kind: 'Session', accountId: 'someone', n });

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (condition()) return;
    await sleep(20);
  }
  assert.fail(`timed out waiting until ${what}`);
}

const redisUrl = process.env.REDIS_URL;
describe('REL-3 Redis away: the record stays authoritative', {
  skip: redisUrl ? false : 'REDIS_URL is not set: not tested',
}, () => {
  let proxy: TcpProxy;
  let w: WriteThroughWorld;
  before(async () => {
    const target = new URL(redisUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const viaProxy = new URL(redisUrl!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    w = await openWriteThrough({ url: viaProxy.toString() });
    await waitOutBlackout(w.redis, w.prefix);
  });
  after(async () => {
    proxy.restore();
    await identifiedAgain().catch(() => {});
    await w.close();
    await proxy.close();
  });
  const adapter = (model: string) => new w.Adapter(model);
  const copyOf = async (key: string) => {
    const payload = await w.redis.hget((await w.keys()).artefact('Session', key), 'payload');
    return payload === null ? undefined : (JSON.parse(payload) as AdapterPayload);
  };
  async function cut(): Promise<void> {
    proxy.cut();
    await until('the link is down', () => w.namespace.current() === undefined);
  }
  async function restore(): Promise<void> {
    proxy.restore();
    await identifiedAgain();
  }
  /** Until the server answers and is identified, on a link that is up again (not one dying). */
  async function identifiedAgain(): Promise<void> {
    for (let i = 0; i < 250; i++) {
      try {
        await w.namespace.require();
        if ((await w.redis.ping()) === 'PONG') return;
      } catch {
        await sleep(20);
      }
    }
    assert.fail('the server was not identified again');
  }

  test('REL-3 Redis cut: reads fall back to the record, writes fail loudly and change nothing, no stale copy after', async () => {
    const key = id();
    await adapter('Session').upsert(key, session(0), 600);
    assert.equal((await copyOf(key))?.n, 0, 'cached');

    await cut();
    assert.equal((await adapter('Session').find(key))?.n, 0, 'read from the record');
    await assert.rejects(adapter('Session').upsert(key, session(1), 600), 'a write needs Redis first');
    await assert.rejects(adapter('Session').destroy(key), 'so does a destroy');
    await assert.rejects(adapter('AuthorizationCode').consume(id()), 'and a consume');
    assert.equal((await w.record.find('Session', key))?.n, 0, 'the record is untouched');
    // A token is written once under a new id: nothing cached can contradict it, so it needs no Redis.
    const token = id();
    await adapter('AccessToken').upsert(token, { kind: 'AccessToken', grantId: id(), clientId: 'c' }, 600);
    assert.ok(await adapter('AccessToken').find(token));

    await restore();
    assert.equal((await adapter('Session').find(key))?.n, 0);
    assert.equal((await copyOf(key))?.n, 0, 'the copy is the record');
    await adapter('Session').upsert(key, session(2), 600);
    assert.equal((await adapter('Session').find(key))?.n, 2, 'writes work again');
  });

  test('REL-3 a refill lost with the link leaves no copy: the record answers, and no stale copy after restore', async () => {
    const key = id();
    await adapter('Session').upsert(key, session(0), 600);
    assert.equal((await copyOf(key))?.n, 0, 'cached');
    // The link drops right after the record's write, before the refill.
    let armed = true;
    const onResponse = (_: unknown, query: { sql: string }) => {
      if (armed && /^\s*insert into oidc_models/i.test(query.sql)) {
        armed = false;
        proxy.cut();
      }
    };
    w.db.on('query-response', onResponse);
    try {
      await adapter('Session').upsert(key, session(1), 600); // the record took it: no error
    } finally {
      w.db.off('query-response', onResponse);
    }
    assert.equal(armed, false, 'the link was cut after the write');
    assert.equal((await adapter('Session').find(key))?.n, 1, 'the record answers');
    await restore();
    assert.equal(await copyOf(key), undefined, 'no copy: neither the old one nor a refill');
    assert.equal((await adapter('Session').find(key))?.n, 1);
  });

  test('REL-3 Redis hung: reads fall back to the record after the command timeout, writes fail', async () => {
    const key = id();
    await adapter('Session').upsert(key, session(0), 600);
    proxy.hang();
    try {
      assert.equal((await adapter('Session').find(key))?.n, 0, 'read from the record');
      await assert.rejects(adapter('Session').upsert(key, session(1), 600));
    } finally {
      proxy.restore();
    }
    await identifiedAgain();
    assert.equal((await adapter('Session').find(key))?.n, 0, 'after the hang: still the record');
    const copy = await copyOf(key);
    assert.ok(copy === undefined || copy.n === 0, 'any copy is the record');
  });
});
