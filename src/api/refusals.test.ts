import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestClock } from '../platform/clock.ts';
import { createRefusalCoalescer, REFUSAL_KEYS, REFUSAL_WINDOW_MS } from './refusals.ts';

// SEC-12: which refusals reach the audit log. `admit` answers the count left out before a refusal
// that is to be recorded, undefined for one that is left out.

describe('refusal coalescer (SEC-12)', () => {
  test('SEC-12 the first refusal of a key is recorded, then one per window carrying the count left out', () => {
    const clock = createTestClock();
    const coalescer = createRefusalCoalescer({ clock });
    assert.equal(coalescer.admit('a'), 0);
    for (let i = 0; i < 5; i++) assert.equal(coalescer.admit('a'), undefined);
    assert.equal(coalescer.admit('b'), 0, 'keys are counted apart');
    clock.advance(REFUSAL_WINDOW_MS - 1);
    assert.equal(coalescer.admit('a'), undefined, 'inside the window');
    clock.advance(1);
    assert.equal(coalescer.admit('a'), 6);
    assert.equal(coalescer.admit('a'), undefined, 'the window starts again at the entry');
    clock.advance(REFUSAL_WINDOW_MS);
    assert.equal(coalescer.admit('a'), 1);
  });

  test('SEC-12 a refusal whose entry could not be written counts as left out', () => {
    const clock = createTestClock();
    const coalescer = createRefusalCoalescer({ clock });
    coalescer.admit('a');
    coalescer.admit('a');
    clock.advance(REFUSAL_WINDOW_MS);
    const suppressed = coalescer.admit('a');
    assert.equal(suppressed, 1);
    coalescer.admit('a'); // left out while the write is under way
    coalescer.unrecorded('a', suppressed!);
    clock.advance(REFUSAL_WINDOW_MS);
    assert.equal(coalescer.admit('a'), 3);
  });

  test('SEC-12 memory is bounded: past the cap, the key recorded longest ago is forgotten', () => {
    const clock = createTestClock();
    const coalescer = createRefusalCoalescer({ clock, maxKeys: 3 });
    for (const key of ['a', 'b', 'c']) coalescer.admit(key);
    clock.advance(REFUSAL_WINDOW_MS);
    coalescer.admit('a'); // recorded again: now the newest
    assert.equal(coalescer.admit('d'), 0);
    assert.equal(coalescer.size, 3);
    assert.equal(coalescer.admit('a'), undefined, 'a is remembered');
    assert.equal(coalescer.admit('b'), 0, 'b was forgotten: recorded as a first refusal');
    assert.equal(REFUSAL_KEYS, 10_000);
  });
});
