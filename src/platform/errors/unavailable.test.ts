import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { Redis } from 'ioredis';
import knexFactory from 'knex';
import pg from 'pg';
import { embeddedDatabase } from '../db/database.ts';
import { AppError } from './app-error.ts';
import { describeUnavailable, isDependencyUnavailable } from './unavailable.ts';

// REL-2: one classification of "a backing service is unavailable", fed with the errors the real
// drivers raise (a refused connection, a closed embedded database, a Redis client that is down).

/** A loopback port nothing listens on. */
const CLOSED_PORT = 9;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a failure');
}

describe('REL-2 dependency unavailable: what counts', () => {
  test('REL-2 pg: a refused connection', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: CLOSED_PORT, connectionTimeoutMillis: 2_000 });
    const err = await rejection(client.connect());
    assert.deepEqual(describeUnavailable(err), { dependency: 'database', reason: 'ECONNREFUSED' });
  });

  test('REL-2 PGlite: a query on a closed embedded database, through knex', async () => {
    const pglite = await PGlite.create();
    const db = embeddedDatabase(pglite);
    await db.knex.raw('select 1');
    await pglite.close();
    const err = await rejection(db.knex.raw('select 1'));
    assert.equal(describeUnavailable(err)?.dependency, 'database', String(err));
    await db.knex.destroy();
  });

  test('REL-2 knex: no connection within acquireConnectionTimeout (a server that accepts and never answers)', async () => {
    const held = new Set<Socket>();
    const silent = createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const knex = knexFactory({
      client: 'pg',
      connection: { host: '127.0.0.1', port },
      pool: { min: 0, max: 1 },
      acquireConnectionTimeout: 200,
      log: { warn() {} },
    });
    const err = await rejection(knex.raw('select 1'));
    assert.deepEqual(describeUnavailable(err), { dependency: 'database', reason: 'KnexTimeoutError' });
    for (const socket of held) socket.destroy();
    await knex.destroy();
    silent.close();
  });

  test('REL-2 pg: lost connections and server shutdown SQLSTATEs, as knex reports them', () => {
    assert.ok(isDependencyUnavailable(new Error('select 1 - Connection terminated unexpectedly')));
    assert.ok(isDependencyUnavailable(new Error('select 1 - Query read timeout')));
    assert.ok(isDependencyUnavailable(Object.assign(new Error('terminating connection'), { code: '57P01' })));
    assert.ok(
      isDependencyUnavailable(
        Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      ),
    );
    assert.ok(isDependencyUnavailable(Object.assign(new Error('connection failure'), { code: '08006' })));
  });

  test('REL-2 ioredis: a client that is down refuses at once, or gives up after its retries', async () => {
    const noQueue = new Redis({ port: CLOSED_PORT, lazyConnect: true, enableOfflineQueue: false });
    const refused = await rejection(noQueue.get('k'));
    assert.equal(describeUnavailable(refused)?.dependency, 'redis', String(refused));
    noQueue.disconnect();

    const retrying = new Redis({ port: CLOSED_PORT, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    retrying.on('error', () => {});
    const gaveUp = await rejection(retrying.get('k'));
    retrying.disconnect();
    assert.deepEqual(describeUnavailable(gaveUp), {
      dependency: 'redis',
      reason: 'MaxRetriesPerRequestError',
    });
    assert.ok(isDependencyUnavailable(new Error('Command timed out')));
    assert.ok(isDependencyUnavailable(new Error('Connection is closed.')));
  });

  test('REL-2 found through a cause chain, an AggregateError, and service.unavailable itself', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.ok(isDependencyUnavailable(new Error('loading the client failed', { cause: refused })));
    assert.ok(
      isDependencyUnavailable(new AppError('internal', undefined, { cause: new Error('Command timed out') })),
    );
    assert.ok(isDependencyUnavailable(new AggregateError([new Error('x'), refused])));
    assert.ok(isDependencyUnavailable(new AppError('service.unavailable')));
  });
});

describe('REL-2 dependency unavailable: what does not count', () => {
  test('REL-2 a refused query, a bug or a client error stays what it is', () => {
    // The server answered: a constraint, or SQL that is wrong, is not an outage, whatever the values say.
    const unique = Object.assign(new Error("insert ... 'Connection terminated' - duplicate key"), {
      code: '23505',
    });
    assert.equal(isDependencyUnavailable(unique), false);
    assert.equal(isDependencyUnavailable(Object.assign(new Error('syntax error'), { code: '42601' })), false);
    assert.equal(isDependencyUnavailable(new TypeError('x is undefined')), false);
    assert.equal(isDependencyUnavailable(new AppError('user.not_found')), false);
    assert.equal(isDependencyUnavailable(undefined), false);
    assert.equal(isDependencyUnavailable('ECONNREFUSED'), false);
  });

  test('REL-2 a cyclic cause chain ends', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.equal(isDependencyUnavailable(a), false);
  });
});
