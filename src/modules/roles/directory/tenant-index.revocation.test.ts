import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { snapshotOf } from '../../../../test/helpers/reference-authz.ts';
import { TenantIndex } from './tenant-index.ts';

// ACC-1: the moment before which a user's tokens are dead (their last password reset), as the
// tenant index carries it to every node: loaded in full, and replaced for the users a change names.

const world = {
  nodes: [{ id: 'm', parentId: null, name: 'Master' }],
  environments: [],
  roles: new Map(),
  assignments: [],
  inactiveUserIds: new Set<string>(),
};
const RESET = Date.UTC(2026, 11, 8, 12, 0, 0, 400); // 12:00:00.400
const second = Math.floor(RESET / 1000);

describe('ACC-1 tokens issued before a password reset', () => {
  test('ACC-1 refused up to and including the reset’s own second; accepted after; others untouched', () => {
    const index = new TenantIndex({
      ...snapshotOf(world),
      tokensValidAfter: [{ userId: 'u1', at: new Date(RESET) }],
    });
    assert.equal(index.acceptsTokenIssuedAt('u1', second - 60), false, 'a minute before');
    assert.equal(index.acceptsTokenIssuedAt('u1', second), false, 'the same second');
    assert.equal(index.acceptsTokenIssuedAt('u1', second + 1), true, 'the next second');
    assert.equal(index.acceptsTokenIssuedAt('u1', undefined), false, 'a token without iat');
    assert.equal(index.acceptsTokenIssuedAt('u2', second - 60), true, 'another user');
  });

  test('ACC-1 a reset exactly on a second boundary accepts tokens of that second (issued at or after it)', () => {
    const onTheSecond = Date.UTC(2026, 11, 8, 12, 0, 0, 0);
    const index = new TenantIndex({
      ...snapshotOf(world),
      tokensValidAfter: [{ userId: 'u1', at: new Date(onTheSecond) }],
    });
    assert.equal(index.acceptsTokenIssuedAt('u1', onTheSecond / 1000 - 1), false);
    assert.equal(index.acceptsTokenIssuedAt('u1', onTheSecond / 1000), true);
  });

  test('ACC-1 a change naming a user replaces their moment; other users keep theirs', () => {
    const first = new TenantIndex({
      ...snapshotOf(world),
      tokensValidAfter: [{ userId: 'u2', at: new Date(RESET) }],
    });
    const base = snapshotOf(world, 2);
    const next = first.withUsers(2, {
      userIds: ['u1'],
      roleMasks: base.roleMasks,
      roleNames: base.roleNames,
      assignments: [],
      inactiveUserIds: [],
      tokensValidAfter: [{ userId: 'u1', at: new Date(RESET) }],
    });
    assert.equal(next.acceptsTokenIssuedAt('u1', second), false, 'the reset user');
    assert.equal(next.acceptsTokenIssuedAt('u2', second), false, 'a user reset before, not reloaded');
    assert.equal(first.acceptsTokenIssuedAt('u1', second), true, 'the previous version is unchanged');
  });
});
