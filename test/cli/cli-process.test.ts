import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PASSWORD } from '../helpers/factories.ts';

// The real command line as an operator runs it: separate processes, embedded database in a fresh
// DATA_DIR, no DATABASE_URL. PGlite starts in each process (~2-3 s), so spawns are few.

const ROOT = path.resolve(import.meta.dirname, '../..');
const PINNED_NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const BIN = path.join(ROOT, 'bin', 'canopy.js');

/** A `node` on PATH outside this project (npm puts node_modules/.bin first), with its major version. */
function systemNode(): { file: string; major: number } | undefined {
  const projectBins = realpathSync(path.join(ROOT, 'node_modules'));
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, 'node');
    try {
      accessSync(file, constants.X_OK);
      if (realpathSync(file).startsWith(projectBins)) continue;
    } catch {
      continue;
    }
    const version = spawnSync(file, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    return { file, major: Number(version.split('.')[0]) };
  }
  return undefined;
}

interface ProcessResult {
  code: number | null;
  out: string;
  err: string;
}

// Embedded by definition (the children get no DATABASE_URL): the PostgreSQL pass of the suite
// leaves it to the embedded pass, where it runs the very same way.
const embeddedPass = !process.env.DATABASE_URL;

describe('operator command line (child processes, embedded database)', {
  skip: embeddedPass ? false : 'runs in the embedded pass',
}, () => {
  let work: string;
  let childEnv: NodeJS.ProcessEnv;
  const oldNode = systemNode();
  const olderThan24 = oldNode && oldNode.major < 24 ? oldNode : undefined;

  before(() => {
    work = mkdtempSync(path.join(tmpdir(), 'canopy-cli-'));
    childEnv = { ...process.env, DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'silent' };
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'SECRETS_KEY', 'CANOPY_CONFIG', 'NODE_TEST_CONTEXT']) {
      delete childEnv[name];
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  function run(command: string, args: string[], input = ''): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd: work, env: childEnv, stdio: 'pipe' });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        err += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, err }));
      child.stdin.end(input);
    });
  }

  // Through the launcher with an old Node when there is one (it must re-exec on the pinned Node).
  const viaLauncher = (args: string[], input?: string) =>
    olderThan24 ? run(olderThan24.file, [BIN, ...args], input) : run(BIN, args, input);

  test('migrate applies the migrations to a fresh embedded database', { timeout: 60_000 }, async () => {
    const r = await run(PINNED_NODE, [MAIN, 'migrate']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Applied \d+ migrations to the embedded database in .*canopy-cli-.*data:\n/);
    assert.match(r.out, /_organizations\n/);
  });

  test(`ORG-1 signup through bin/canopy.js (${olderThan24 ? `Node ${olderThan24.major}, re-exec on the pinned Node` : 'no Node < 24 on PATH: launcher run directly'}) with --password-stdin`, {
    timeout: 60_000,
  }, async () => {
    const r = await viaLauncher(
      [
        'signup',
        '--company',
        'Process Corp',
        '--domain',
        'process-corp',
        '--username',
        'founder',
        '--email',
        'founder@process.test',
        '--name',
        'Pat Process',
        '--password-stdin',
      ],
      `${PASSWORD}\n`,
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.match(r.out, /^Signed up Process Corp\.\n {2}master org id: {2}[0-9a-f-]{36}\n/);
    assert.match(r.out, /owner: {10}founder \(user id [0-9a-f-]{36}\)/);
  });

  test('ORG-4 org show prints the tree of the new master org', { timeout: 60_000 }, async () => {
    const r = await run(PINNED_NODE, [MAIN, 'org', 'show', 'process-corp']);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /^process-corp \(master org [0-9a-f-]{36}, 1 org node\)\nProcess Corp {2}\[[0-9a-f-]{36}\] {2}owner founder\n$/,
    );
  });

  test('a usage error exits 2 with one line on stderr, through the launcher', {
    timeout: 60_000,
  }, async () => {
    const r = await viaLauncher(['org', 'show']);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.equal(r.err, "error: missing required argument 'domain'\n");
  });

  test('the launcher says Node.js 24 is required when it cannot find the pinned Node', async (t) => {
    if (!olderThan24) {
      t.skip('no Node < 24 on PATH: the fallback path cannot be exercised here');
      return;
    }
    const lonely = path.join(work, 'lonely', 'bin');
    mkdirSync(lonely, { recursive: true });
    copyFileSync(BIN, path.join(lonely, 'canopy.js'));
    const r = await run(olderThan24.file, [path.join(lonely, 'canopy.js'), '--help']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^canopy: Node\.js 24 or newer is required \(this is Node\.js \d+\./);
  });
});
