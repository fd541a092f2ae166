import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { createContainer } from '../../src/container.ts';
import { createSecretBox, keyIdOf, parseSecretsKeyRing } from '../../src/platform/crypto/secret-box.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { fillSealedColumns, openAllSealed } from '../helpers/sealed-values.ts';
import { createTestEnv, TEST_SECRETS_KEY, type TestEnv, testConfig } from '../helpers/test-container.ts';
import { runAgainst } from './run-cli.ts';

// SEC-11: docs/operating.md "Keys" followed step by step — the embedded runbook's own lines, run as an
// operator runs them, and the SECRETS_KEY runbook's six steps, node restarts included.

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const GUIDE = readFileSync(path.join(ROOT, 'docs', 'operating.md'), 'utf8');

/** The lines of the operating guide's fenced block after `<!-- runbook: name … -->`. */
function runbook(name: string): string[] {
  const start = GUIDE.indexOf(`<!-- runbook: ${name} `);
  assert.ok(start >= 0, `docs/operating.md has no runbook ${name}`);
  const block = /```sh\n([\s\S]*?)```/.exec(GUIDE.slice(start));
  assert.ok(block, `runbook ${name} has no sh block`);
  return block[1]!
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

// Embedded by definition: the PostgreSQL pass of the suite leaves it to the embedded pass.
const embeddedPass = !process.env.DATABASE_URL;

describe('SEC-11 operating guide runbook: rotating the secrets key, embedded', {
  timeout: 180_000,
  skip: embeddedPass ? false : 'runs in the embedded pass',
}, () => {
  let work: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    work = mkdtempSync(path.join(tmpdir(), 'canopy-runbook-'));
    dataDir = path.join(work, 'data');
    env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'SECRETS_KEY', 'CANOPY_CONFIG', 'NODE_TEST_CONTEXT']) {
      delete env[name];
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const canopy = (args: string[], input = '') =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(NODE, [MAIN, ...args], { cwd: work, env, stdio: 'pipe' });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        err += c;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, err }));
      child.stdin.end(input);
    });

  const ring = () => parseSecretsKeyRing(readFileSync(path.join(dataDir, 'secrets.key'), 'utf8'));
  const withDatabase = async <T>(fn: (db: Database['knex']) => Promise<T>): Promise<T> => {
    const database = await openDatabase({ databaseUrl: null, dataDir, poolMax: 1 });
    try {
      return await fn(database.knex);
    } finally {
      await database.close();
    }
  };

  test('every step as written, and every stored secret opens afterwards with the new key alone', async () => {
    // What an installation holds: credentials (sign-up), app secrets, an upstream provider's
    // secret, signing keys — made by the server's own services on this DATA_DIR.
    const config = loadConfig({ env: { DATA_DIR: dataDir, LOG_LEVEL: 'silent' } });
    const seeding = await createContainer(config, { logger: createLogger('silent') });
    await fillSealedColumns(seeding);
    const [oldKey] = ring();
    const oldId = keyIdOf(oldKey!);
    const before = await openAllSealed(seeding.database.knex, createSecretBox(oldKey!));
    await seeding.close();
    assert.ok(before.size >= 6, `expected secrets in every column, got ${[...before.keys()]}`);

    const steps = runbook('secrets-embedded');
    assert.deepEqual(steps.at(-1), 'npm start');
    for (const step of steps.slice(0, -1)) {
      assert.match(step, /^npm run canopy -- /);
      const args = step
        .replace(/^npm run canopy -- /, '')
        .replace('<old key id>', oldId)
        .split(/\s+/);
      const r = await canopy(args);
      assert.equal(r.code, 0, `${step}\n${r.err}`);
      if (args[1] === 'status')
        assert.match(r.out, new RegExp(`^${oldId}\\s+seals\\s+${before.size}\\s`, 'm'));
    }

    const keys = ring();
    assert.equal(keys.length, 1, 'the old key is gone from secrets.key');
    assert.notEqual(keyIdOf(keys[0]!), oldId);
    const afterwards = await withDatabase((db) => openAllSealed(db, createSecretBox(keys)));
    assert.deepEqual(afterwards, before);

    // `npm start`: the server's own start, which opens a value of every column with the new ring.
    const container = await createContainer(config, { logger: createLogger('silent') });
    await container.close();
  });
});

describe('SEC-11 operating guide runbook: rotating SECRETS_KEY across nodes', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
    await fillSealedColumns(env.container);
  });
  after(() => env.close());

  /** A node restarted with this SECRETS_KEY, on the same database (which stays open when it stops). */
  const node = (secretsKey: string) =>
    createContainer(testConfig({ security: { secretsKey } }), {
      database: { ...env.container.database, close: async () => {} },
      clock: env.clock,
      logger: createLogger('silent'),
    });

  test('the six steps, each node restart included; the old key is needed by nothing at the end', async () => {
    const db = env.container.database.knex;
    const OLD = TEST_SECRETS_KEY;
    const before = await openAllSealed(db, createSecretBox(parseSecretsKeyRing(OLD)));

    // 1. rotate prints a key and its id, and changes nothing.
    const rotated = await runAgainst(env.container, ['secrets', 'rotate', '--json']);
    assert.equal(rotated.code, 0, rotated.err);
    const { key: NEW, keyId } = JSON.parse(rotated.out) as { key: string; keyId: string };
    assert.equal(keyIdOf(Buffer.from(NEW, 'hex')), keyId);
    assert.deepEqual(await openAllSealed(db, createSecretBox(parseSecretsKeyRing(OLD))), before);
    const human = await runAgainst(env.container, ['secrets', 'rotate']);
    assert.match(human.out, /1\. append it: SECRETS_KEY=<current ring>,[0-9a-f]{64}/);

    // 2. appended: the node opens with either key; the old one still seals.
    const appended = await node(`${OLD},${NEW}`);
    const status2 = await runAgainst(appended, ['secrets', 'status']);
    assert.match(status2.out, new RegExp(`^${keyIdOf(Buffer.from(OLD, 'hex'))}\\s+seals`, 'm'));
    assert.match(status2.out, new RegExp(`^${keyId}\\s+opens\\s+0`, 'm'));
    await appended.close();

    // 3. first: the new key seals.
    const promoted = await node(`${NEW},${OLD}`);
    // 4. reseal; 5. retire the old key.
    const resealed = await runAgainst(promoted, ['secrets', 'reseal', '--batch-size', '2']);
    assert.equal(resealed.code, 0, resealed.err);
    assert.match(resealed.out, new RegExp(`^Re-sealed ${before.size} value\\(s\\) with key ${keyId}\\.`));
    const oldId = keyIdOf(Buffer.from(OLD, 'hex'));
    const retired = await runAgainst(promoted, ['secrets', 'retire', oldId]);
    assert.equal(retired.code, 0, retired.err);
    assert.match(retired.out, /Remove it from SECRETS_KEY on every node/);
    await promoted.close();

    // 6. the new key alone: the node starts and every secret opens; the old key alone cannot start.
    const last = await node(NEW);
    assert.deepEqual(await openAllSealed(db, createSecretBox(parseSecretsKeyRing(NEW))), before);
    await last.close();
    await assert.rejects(node(OLD), new RegExp(`does not hold key ${keyId}`));
  });

  test('retire refuses while a value needs the key, and names what to run', async () => {
    const r = await runAgainst(env.container, ['secrets', 'retire', 'zzzzzzzz']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: SECRETS_KEY holds no key zzzzzzzz/);
  });

  test('a key id that starts with "-" (one id in 64) is a key id, not an unknown option', async () => {
    const r = await runAgainst(env.container, ['secrets', 'retire', '-ub9vfQ2']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: SECRETS_KEY holds no key -ub9vfQ2/);
  });
});
