import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createLogger } from '../logger.ts';
import { createSecretBox } from './secret-box.ts';
import { resolveSecretsKeyRing, SECRETS_KEY_FILE, writeSecretsKeyFile } from './secrets-key.ts';

/** The single key a ring without rotation holds. */
const resolveSecretsKey = (options: Parameters<typeof resolveSecretsKeyRing>[0]) => {
  const ring = resolveSecretsKeyRing(options);
  assert.equal(ring.keys.length, 1);
  return ring.keys[0]!;
};

const logger = createLogger('silent');

describe('resolveSecretsKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'canopy-secrets-key-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('CRED-6 a configured key is used as given, and nothing is written to DATA_DIR', () => {
    const hex = randomBytes(32);
    for (const embedded of [true, false]) {
      const key = resolveSecretsKey({ configured: hex.toString('hex'), dataDir: dir, embedded, logger });
      assert.deepEqual(key, hex);
    }
    const b64 = randomBytes(32);
    assert.deepEqual(
      resolveSecretsKey({ configured: b64.toString('base64'), dataDir: dir, embedded: true, logger }),
      b64,
    );
    assert.equal(existsSync(path.join(dir, SECRETS_KEY_FILE)), false);
  });

  test('CRED-6 embedded without a key: one is generated into DATA_DIR/secrets.key (0600), with a warning, and reused', () => {
    const dataDir = path.join(dir, 'nested', 'data'); // created on demand
    const lines: string[] = [];
    const recording = createLogger('warn', { write: (line: string) => lines.push(line) });

    const first = resolveSecretsKey({ configured: null, dataDir, embedded: true, logger: recording });
    const file = path.join(dataDir, SECRETS_KEY_FILE);
    assert.equal(first.length, 32);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .join(),
      first.toString('hex'),
    );
    assert.equal(lines.length, 1);
    assert.equal(JSON.parse(lines[0]!).level, 'warn');
    assert.match(lines[0]!, /SECRETS_KEY/);

    const second = resolveSecretsKey({ configured: null, dataDir, embedded: true, logger: recording });
    assert.deepEqual(second, first);
    assert.equal(lines.length, 1, 'reusing the key warns no more');
    // What the first start sealed, the second start opens.
    const sealed = createSecretBox(first).seal('client secret', 'ctx');
    assert.equal(createSecretBox(second).open(sealed, 'ctx'), 'client secret');
  });

  test('embedded installations in different DATA_DIRs get different keys', () => {
    const a = resolveSecretsKey({ configured: null, dataDir: path.join(dir, 'a'), embedded: true, logger });
    const b = resolveSecretsKey({ configured: null, dataDir: path.join(dir, 'b'), embedded: true, logger });
    assert.notDeepEqual(a, b);
  });

  test('CRED-6 with DATABASE_URL (not embedded) and no key: refuses, naming SECRETS_KEY, and generates nothing', () => {
    assert.throws(
      () => resolveSecretsKey({ configured: null, dataDir: dir, embedded: false, logger }),
      /SECRETS_KEY is required/,
    );
    assert.equal(existsSync(path.join(dir, SECRETS_KEY_FILE)), false);
  });

  test('a malformed configured key is refused, naming SECRETS_KEY', () => {
    assert.throws(
      () => resolveSecretsKey({ configured: 'abcd', dataDir: dir, embedded: true, logger }),
      /SECRETS_KEY/,
    );
  });

  test('SEC-11 a configured ring: the first key seals, every key opens, ids are derived from the keys', () => {
    const [newer, older] = [randomBytes(32), randomBytes(32)];
    const ring = resolveSecretsKeyRing({
      configured: ` ${newer.toString('hex')} , ${older.toString('base64')} `,
      dataDir: dir,
      embedded: false,
      logger,
    });
    assert.equal(ring.file, null);
    assert.deepEqual(ring.keys, [newer, older]);
    const sealedBefore = createSecretBox(older).seal('kept', 'ctx');
    const box = createSecretBox(ring.keys);
    assert.equal(box.keyId, createSecretBox(newer).keyId);
    assert.equal(box.open(sealedBefore, 'ctx'), 'kept');
    assert.equal(createSecretBox(newer).open(box.seal('new', 'ctx'), 'ctx'), 'new');
  });

  test('SEC-11 a ring refuses the same key twice, more than eight keys, and names SECRETS_KEY', () => {
    const key = randomBytes(32).toString('hex');
    const opts = { dataDir: dir, embedded: false, logger };
    assert.throws(() => resolveSecretsKeyRing({ ...opts, configured: `${key},${key}` }), /same key twice/);
    const nine = Array.from({ length: 9 }, () => randomBytes(32).toString('hex')).join(',');
    assert.throws(() => resolveSecretsKeyRing({ ...opts, configured: nine }), /more than 8/);
    assert.throws(() => resolveSecretsKeyRing({ ...opts, configured: `${key},abcd` }), /SECRETS_KEY/);
  });

  test('SEC-11 secrets.key holds a ring: rewritten at once, 0600, comments ignored', () => {
    const first = resolveSecretsKey({ configured: null, dataDir: dir, embedded: true, logger });
    const file = path.join(dir, SECRETS_KEY_FILE);
    const added = randomBytes(32);
    writeSecretsKeyFile(file, [added, first]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(existsSync(`${file}.next`), false);
    const ring = resolveSecretsKeyRing({ configured: null, dataDir: dir, embedded: true, logger });
    assert.equal(ring.file, file);
    assert.deepEqual(ring.keys, [added, first]);
    assert.throws(() => writeSecretsKeyFile(file, [added, added]), /same key twice/);
    assert.deepEqual(resolveSecretsKeyRing({ configured: null, dataDir: dir, embedded: true, logger }).keys, [
      added,
      first,
    ]);
  });
});
