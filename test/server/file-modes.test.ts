import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnCanopy } from '../helpers/child-processes.ts';
import { PASSWORD } from '../helpers/factories.ts';
import {
  killAll,
  logLines,
  runToExit,
  type Server,
  SHUTDOWN_TIMEOUT_SECONDS,
  startServer,
  stopServer,
} from './server-process.ts';

// SEC-10 as an operator meets it: the real server (and CLI) on a DATA_DIR of its own. Two full
// starts on the embedded database; every refusal exits before anything is opened, so costs little.

const modeOf = (file: string) => lstatSync(file).mode & 0o777;

/** Everything under `dir` (and `dir` itself) that group or others can reach, as `path mode` lines. */
function reachableByOthers(dir: string): string[] {
  const entries = [dir, ...readdirSync(dir, { recursive: true }).map((f) => path.join(dir, String(f)))];
  return entries
    .filter((f) => !lstatSync(f).isSymbolicLink() && modeOf(f) & 0o077)
    .map((f) => `${path.relative(dir, f) || '.'} ${modeOf(f).toString(8)}`);
}

let serial = 0;
/** Writes through the API: a sign-up (an organization, its owner, environments, an audit entry). */
async function signUp(server: Server): Promise<void> {
  const id = `${process.pid}-${++serial}`;
  const res = await fetch(`${server.base}/api/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      companyName: `Private Files ${id}`,
      domain: `private-files-${id}`,
      username: 'owner',
      email: `owner-${id}@private.test`,
      name: 'Olive Owner',
      password: PASSWORD,
    }),
  });
  assert.equal(res.status, 201, await res.text());
}

async function runCli(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number | null; err: string }> {
  const child = spawnCanopy({ LOG_LEVEL: 'silent', ...env }, { cli: args });
  const { code } = await child.exited;
  return { code, err: child.stderr() };
}

after(killAll);

describe('SEC-10 DATA_DIR of a real server on the embedded database', () => {
  let work: string;
  let dataDir: string;
  let keyFile: string;
  const env = () => ({ DATA_DIR: dataDir, SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS) });

  before(() => {
    work = mkdtempSync(path.join(tmpdir(), 'canopy-modes-'));
    dataDir = path.join(work, 'data'); // created by Canopy
    keyFile = path.join(dataDir, 'secrets.key');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('SEC-10 a first start with writes and a stop leaves nothing in DATA_DIR that group or others can reach', {
    timeout: 120_000,
  }, async () => {
    const server = await startServer(env());
    try {
      await signUp(server);
      // While it runs, the two directories are what keep others out.
      assert.equal(modeOf(dataDir), 0o700);
      assert.equal(modeOf(path.join(dataDir, 'pglite')), 0o700);
    } finally {
      assert.equal((await stopServer(server)).code, 0, server.stderr());
    }
    assert.equal(modeOf(keyFile), 0o600);
    assert.ok(readdirSync(path.join(dataDir, 'pglite', 'pg_wal')).length > 0, 'the database was written');
    assert.deepEqual(reachableByOthers(dataDir), []);
  });

  test('SEC-10 the server refuses a DATA_DIR of 0755: exit 78, one line naming the path, its mode and chmod 700', async () => {
    chmodSync(dataDir, 0o755);
    try {
      const exit = await runToExit(env(), 30_000);
      assert.equal(exit.code, 78, exit.stderr);
      assert.equal(
        exit.stderr,
        `DATA_DIR ${dataDir} is readable by other local users (mode 0755); run: chmod 700 ${dataDir}\n`,
      );
      assert.equal(existsSync(path.join(dataDir, 'canopy.pid')), false, 'the database was not opened');
    } finally {
      chmodSync(dataDir, 0o700);
    }
  });

  test('SEC-10 the server refuses a world-readable secrets.key (0644) with chmod 600', async () => {
    chmodSync(keyFile, 0o644);
    try {
      const exit = await runToExit(env(), 30_000);
      assert.equal(exit.code, 78, exit.stderr);
      assert.equal(
        exit.stderr,
        `The secrets key ${keyFile} is readable by other local users (mode 0644); run: chmod 600 ${keyFile}\n`,
      );
    } finally {
      chmodSync(keyFile, 0o600);
    }
  });

  test('SEC-10 the CLI refuses too, before opening the database: exit 78 and the same line', async () => {
    chmodSync(dataDir, 0o750);
    try {
      // `migrate` opens the database itself; every other command through the services.
      for (const args of [['migrate'], ['org', 'show', 'private-files']]) {
        const r = await runCli({ DATA_DIR: dataDir }, args);
        assert.equal(r.code, 78, `${args.join(' ')}: ${r.err}`);
        assert.equal(
          r.err,
          `error: DATA_DIR ${dataDir} is readable by other local users (mode 0750); run: chmod 700 ${dataDir}\n`,
        );
        assert.equal(existsSync(path.join(dataDir, 'canopy.pid')), false);
      }
    } finally {
      chmodSync(dataDir, 0o700);
    }
  });

  test('SEC-10 with SKIP_FILE_MODE_CHECK=true the server starts, warns with the same fixes, and its restart keeps the database private', {
    timeout: 120_000,
  }, async () => {
    chmodSync(dataDir, 0o755);
    chmodSync(keyFile, 0o644);
    try {
      const server = await startServer({ ...env(), SKIP_FILE_MODE_CHECK: 'true' });
      try {
        await signUp(server);
        const warnings = logLines(server.stdout()).filter(
          (l) => l.level === 'warn' && /SKIP_FILE_MODE_CHECK/.test(l.msg),
        );
        assert.deepEqual(
          warnings.map((l) => [l.path, l.mode, l.fix]),
          [
            [dataDir, '0755', `chmod 700 ${dataDir}`],
            [keyFile, '0644', `chmod 600 ${keyFile}`],
          ],
        );
      } finally {
        assert.equal((await stopServer(server)).code, 0, server.stderr());
      }
      // What the operator loosened stays as they left it; everything Canopy wrote is private.
      assert.deepEqual(reachableByOthers(dataDir), ['. 755', 'secrets.key 644']);
    } finally {
      chmodSync(dataDir, 0o700);
      chmodSync(keyFile, 0o600);
    }
    assert.deepEqual(reachableByOthers(dataDir), []);
  });
});

test('SEC-10 with DATABASE_URL the server still refuses a DATA_DIR of 0755 (it holds the outbox), before connecting', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-modes-pg-'));
  try {
    chmodSync(dataDir, 0o755);
    const exit = await runToExit(
      {
        DATA_DIR: dataDir,
        // Never reached: the check comes first (a real server is used when the suite has one).
        DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://canopy@127.0.0.1:1/none',
        SECRETS_KEY: randomBytes(32).toString('hex'),
      },
      30_000,
    );
    assert.equal(exit.code, 78, exit.stderr);
    assert.equal(
      exit.stderr,
      `DATA_DIR ${dataDir} is readable by other local users (mode 0755); run: chmod 700 ${dataDir}\n`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
