import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestClock } from '../../platform/clock.ts';
import { createDeviceCookies } from './device-cookie.ts';

const older = Buffer.alloc(32, 1);
const newer = Buffer.alloc(32, 2);

describe('device cookies under a key ring', () => {
  test('SEC-11 a cookie made before a rotation keeps vouching until its key leaves the ring', () => {
    const clock = createTestClock();
    const before = createDeviceCookies({ key: [older], clock, days: 30 });
    const cookie = before.afterSignIn([], 't1', 'u1');
    const device = before.deviceFor([cookie], 't1', 'u1');
    assert.ok(device);

    const during = createDeviceCookies({ key: [newer, older], clock, days: 30 });
    assert.equal(during.deviceFor([cookie], 't1', 'u1'), device);
    assert.equal(during.deviceFor([cookie], 't1', 'u2'), undefined);
    // Signing in again re-issues it under the new key, for the same device.
    const renewed = during.afterSignIn([cookie], 't1', 'u1');
    const after = createDeviceCookies({ key: [newer], clock, days: 30 });
    assert.equal(after.deviceFor([renewed], 't1', 'u1'), device);
    assert.equal(after.deviceFor([cookie], 't1', 'u1'), undefined, 'a retired key vouches for nothing');
  });

  test('SEC-11 accounts tagged under an older key are dropped on re-issue, not re-tagged wrongly', () => {
    const clock = createTestClock();
    const before = createDeviceCookies({ key: [older], clock, days: 30 });
    const both = before.afterSignIn([before.afterSignIn([], 't1', 'u1')], 't1', 'u2');
    const during = createDeviceCookies({ key: [newer, older], clock, days: 30 });
    const renewed = during.afterSignIn([both], 't1', 'u2');
    assert.ok(during.deviceFor([renewed], 't1', 'u2'));
    assert.equal(during.deviceFor([renewed], 't1', 'u1'), undefined);
  });
});
