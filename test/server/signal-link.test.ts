import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isDependencyUnavailable } from '../../src/platform/errors/unavailable.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRedisClients, type RedisClients } from '../../src/platform/redis.ts';
import { assertSignalsLive, createRedisSignalBus, type SignalBus } from '../../src/platform/signals.ts';
import { eventually } from '../helpers/outage-requests.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

// REL-2: the Redis link of one node, through a TCP proxy the test cuts and hangs. Commands fail
// fast instead of queuing; the signal bus says when this node cannot hear other nodes, and
// resyncs (its caches drop everything) once it can again.

const REDIS_URL = process.env.REDIS_URL;
const needsRedis = REDIS_URL ? false : 'REDIS_URL is not set: the Redis link is cut through a TCP proxy';
const logger = createLogger('silent');
const CHANNEL = 'test.changed';

describe('REL-2 the Redis link of a node', { skip: needsRedis }, () => {
  let proxy: TcpProxy;
  let mine: RedisClients;
  let theirs: RedisClients;
  let bus: SignalBus;
  let other: SignalBus;
  const heard: string[] = [];
  let resyncs = 0;

  before(async () => {
    const target = new URL(REDIS_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const proxied = new URL(REDIS_URL!);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const prefix = `canopy-test:${randomUUID()}:`;
    mine = await createRedisClients(proxied.toString(), logger, { commandTimeoutMs: 300 });
    theirs = await createRedisClients(REDIS_URL!, logger, { commandTimeoutMs: 300 });
    bus = createRedisSignalBus(mine, prefix, logger, { heartbeatMs: 200 });
    other = createRedisSignalBus(theirs, prefix, logger, { heartbeatMs: 200 });
    await bus.subscribe(CHANNEL, (m) => heard.push(m));
    bus.onResync(() => resyncs++);
  });
  after(async () => {
    proxy?.restore();
    await mine?.close();
    await theirs?.close();
    await proxy?.close();
  });

  const hears = async (message: string) => {
    await other.publish(CHANNEL, message);
    await eventually(`hearing ${message}`, async () => heard.includes(message), 3_000);
  };

  test('REL-2 cut: commands fail at once, the bus is not live, a publish fails as service.unavailable', async () => {
    await hears('before the cut');
    assert.equal(bus.isLive(), true);
    proxy.cut();
    try {
      await eventually('the bus notices the cut', async () => !bus.isLive(), 3_000);
      const err = await mine.command.get('k').then(
        () => assert.fail('a command through a cut link'),
        (e: unknown) => e,
      );
      assert.ok(isDependencyUnavailable(err), String(err));
      assert.throws(() => assertSignalsLive(bus), { code: 'service.unavailable' });
      await other.publish(CHANNEL, 'while cut'); // sent while this node could not hear it
    } finally {
      proxy.restore();
    }
    const before = resyncs;
    await eventually('the bus is live again', async () => bus.isLive(), 5_000);
    assert.equal(
      resyncs,
      before + 1,
      'one resync: caches drop what signals sent meanwhile would have changed',
    );
    assert.equal(heard.includes('while cut'), false);
    await hears('after the cut');
    assert.equal(await mine.command.ping(), 'PONG');
  });

  test('REL-2 slow: one command past the timeout fails alone; the connection and the bus stay up', async () => {
    const drops: string[] = [];
    const onClose = () => drops.push('command connection closed');
    mine.command.on('close', onClose);
    const liveness: boolean[] = [];
    const sampler = setInterval(() => liveness.push(bus.isLive()), 20);
    try {
      assert.equal(bus.isLive(), true);
      // BLPOP on an empty list answers after 0.6 s, past the 300 ms command timeout: a slow command
      // on this connection only (a blocking command does not stall the shared Redis for others).
      const slow = await mine.command.blpop(`canopy-test:${randomUUID()}:empty`, 0.6).then(
        () => assert.fail('a command past the command timeout'),
        (e: unknown) => e,
      );
      assert.match(String(slow), /Command timed out/);
      assert.ok(isDependencyUnavailable(slow), String(slow));
      // Commands after it wait for its answer on the same connection (they may time out too, alone),
      // then are answered: the connection was kept.
      await eventually(
        'the connection answers again',
        async () => (await mine.command.ping().catch(() => null)) === 'PONG',
        3_000,
      );
      await hears('after a slow command');
      assert.equal(mine.command.status, 'ready');
      assert.deepEqual(drops, [], 'the command connection was not dropped');
      assert.ok(liveness.length > 0 && liveness.every(Boolean), 'the bus stayed live: no cache was emptied');
    } finally {
      clearInterval(sampler);
      mine.command.off('close', onClose);
    }
  });

  test('REL-2 hung: commands end with the command timeout; the unanswered probe drops the link, the heartbeat takes the bus down, then resyncs', async () => {
    proxy.hang();
    try {
      const err = await mine.command.get('k').then(
        () => assert.fail('a command through a hung link'),
        (e: unknown) => e,
      );
      assert.match(String(err), /Command timed out/);
      // …and the PING probe that follows goes unanswered: the link is dropped, and the next commands
      // are refused at once, not after a wait.
      await eventually('the hung link dropped', async () => mine.command.status !== 'ready', 3_000);
      const next = await mine.command.get('k').then(
        () => assert.fail('a command through a dropped link'),
        (e: unknown) => e,
      );
      assert.match(String(next), /enableOfflineQueue/);
      assert.ok(isDependencyUnavailable(next), String(next));
      await eventually('the heartbeat notices the hang', async () => !bus.isLive(), 3_000);
    } finally {
      proxy.restore();
    }
    const before = resyncs;
    await eventually('the bus is live again', async () => bus.isLive(), 5_000);
    assert.ok(resyncs > before, 'resynced after the hang');
    await hears('after the hang');
  });

  test('REL-2 a node whose Redis does not answer refuses to start, within its bound', async () => {
    proxy.cut();
    try {
      const proxied = new URL(REDIS_URL!);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      await assert.rejects(
        createRedisClients(proxied.toString(), logger, { commandTimeoutMs: 300, readyTimeoutMs: 300 }),
        /Redis did not answer/,
      );
    } finally {
      proxy.restore();
    }
  });
});
