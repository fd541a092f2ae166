import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';

// SECRETS_KEY as configuration: one key or a ring (SEC-11). What the ring does is tested with the
// secret box (src/platform/crypto) and the runbook (test/cli/secrets-runbook.test.ts).

describe('configuration: SECRETS_KEY', () => {
  test('a 32-byte base64 SECRETS_KEY is accepted as well as hex', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    assert.equal(loadConfig({ env: { SECRETS_KEY: key } }).security.secretsKey, key);
  });

  test('SEC-11 SECRETS_KEY takes a comma-separated ring of up to eight keys, and nothing else', () => {
    const ring = [Buffer.alloc(32, 1).toString('hex'), Buffer.alloc(32, 2).toString('base64')].join(', ');
    assert.equal(loadConfig({ env: { SECRETS_KEY: ring } }).security.secretsKey, ring);
    const nine = Array.from({ length: 9 }, (_, i) => Buffer.alloc(32, i).toString('hex')).join(',');
    for (const bad of [nine, `${ring},`, `${ring},short`]) {
      assert.throws(() => loadConfig({ env: { SECRETS_KEY: bad } }), /security\.secretsKey \(SECRETS_KEY\)/);
    }
  });
});
