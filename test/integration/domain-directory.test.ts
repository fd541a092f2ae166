import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDomainDirectory } from '../../src/modules/organizations/index.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { SignalBus } from '../../src/platform/signals.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

// The cached domain → master org lookup behind `/login/:domain` and the sign-in pages (REL-2), on
// the real database, with a signal bus the test drives: how many queries reach the database, and
// that no answer read before a change outlives it.

/** A bus that records handlers, so the test can deliver a signal, or a resync, when it chooses. */
function manualBus() {
  const handlers: Array<(message: string) => void> = [];
  const resyncs: Array<() => void> = [];
  let live = true;
  const bus: SignalBus = {
    async publish() {},
    async subscribe(_channel, handler) {
      handlers.push(handler);
    },
    onResync(handler) {
      resyncs.push(handler);
    },
    isLive: () => live,
  };
  return {
    bus,
    deliver: (message: string) => {
      for (const h of handlers) h(message);
    },
    resync: () => {
      for (const h of resyncs) h();
    },
    /** The link to the other nodes drops (false) or is back (true). */
    setLive: (value: boolean) => {
      live = value;
    },
  };
}

describe('REL-2 ORG-3 the domain lookup behind the sign-in entry points', () => {
  let env: TestEnv;
  let t: Tenant;
  /** Domain lookups that reached the database since the last `directory()`. */
  const seen = { queries: 0 };
  const onQuery = (q: { sql: string }) => {
    if (q.sql.includes('lower(domain) = lower(')) seen.queries++;
  };
  before(async () => {
    env = await createTestEnv();
    t = await signUpTenant(env.container);
    env.container.database.knex.on('query', onQuery);
  });
  after(async () => {
    env.container.database.knex.removeListener('query', onQuery);
    await env.close();
  });

  /** A directory over the test's database, and a count of the queries it makes. */
  async function directory() {
    const signals = manualBus();
    let ms = 0;
    const dir = createDomainDirectory({
      db: env.container.database.knex,
      signals: signals.bus,
      logger: createLogger('silent'),
      now: () => ms,
    });
    await dir.start();
    seen.queries = 0;
    return { dir, signals, seen, advance: (by: number) => (ms += by) };
  }

  test('REL-2 a thousand concurrent lookups of one domain make one query, and later ones none', async () => {
    const { dir, seen } = await directory();
    const domain = t.organization.domain!;
    const answers = await Promise.all(Array.from({ length: 1000 }, () => dir.find(domain.toUpperCase())));
    assert.ok(answers.every((a) => a?.id === t.tenantId && a.domain === domain));
    assert.equal(seen.queries, 1);
    assert.equal((await dir.find(domain))?.id, t.tenantId);
    assert.equal(seen.queries, 1);
  });

  test('ORG-3 an answer read while a change was announced is handed out but not kept', async () => {
    const { dir, signals, seen } = await directory();
    const domain = t.organization.domain!;
    const underway = dir.find(domain);
    signals.deliver(JSON.stringify({ domains: [domain] })); // before the query has answered
    assert.equal((await underway)?.id, t.tenantId);
    await dir.find(domain);
    assert.equal(seen.queries, 2, 'asked again: the first answer may have been the old one');
    await dir.find(domain);
    assert.equal(seen.queries, 2);
  });

  test('ORG-3 a signal drops the domains it names; a resync, or a signal it cannot read, drops all', async () => {
    const { dir, signals, seen } = await directory();
    const domain = t.organization.domain!;
    await dir.find(domain);
    await dir.find('nobody-here');
    signals.deliver(JSON.stringify({ domains: ['nobody-here'] }));
    await dir.find(domain);
    await dir.find('nobody-here');
    assert.equal(seen.queries, 3, 'only the named domain was asked again');
    signals.resync();
    await dir.find(domain);
    assert.equal(seen.queries, 4, 'a node that missed signals asks again');
    signals.deliver('not json');
    await dir.find(domain);
    assert.equal(seen.queries, 5);
  });

  test('REL-2 while the node cannot hear signals every lookup asks the database, and nothing is kept', async () => {
    const { dir, signals, seen } = await directory();
    const domain = t.organization.domain!;
    await dir.find(domain);
    signals.setLive(false);
    await dir.find(domain);
    await dir.find(domain);
    assert.equal(seen.queries, 3, 'no answer from memory while changes elsewhere could be missed');
    signals.setLive(true);
    await dir.find(domain);
    await dir.find(domain);
    assert.equal(seen.queries, 4, 'what was kept before the break was dropped');
  });

  test('REL-2 an unknown domain is remembered for seconds, a known one for a minute', async () => {
    const { dir, seen, advance } = await directory();
    assert.equal(await dir.find('nobody-here'), undefined);
    assert.equal(await dir.find('nobody-here'), undefined);
    assert.equal(seen.queries, 1);
    advance(5_001);
    await dir.find('nobody-here');
    assert.equal(seen.queries, 2, 'an unknown domain is asked again after 5 s');
    await dir.find(t.organization.domain!);
    advance(59_000);
    await dir.find(t.organization.domain!);
    assert.equal(seen.queries, 3);
    advance(1_001);
    await dir.find(t.organization.domain!);
    assert.equal(seen.queries, 4, 'a known domain is asked again after a minute');

    // A change whose signal never came (this directory hears only the test's bus): once aged out,
    // the old domain is asked again, found unknown, and remembered as such.
    const other = await signUpTenant(env.container);
    const old = other.organization.domain!;
    assert.equal((await dir.find(old))?.id, other.tenantId);
    await env.container.organizations.updateSettings(other.owner, other.tenantId, other.tenantId, {
      domain: `${old}-moved`,
    });
    advance(60_001);
    seen.queries = 0;
    assert.equal(await dir.find(old), undefined);
    assert.equal(await dir.find(old), undefined);
    assert.equal(seen.queries, 1);
  });
});
