import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ENV_VARS } from '../../src/config/schema.ts';

// Processes a test starts: Canopy itself as an operator runs it (`node src/main.ts`, or the CLI,
// configured only through the environment), and the servers around it (HAProxy, Redis). Every
// wait is bounded, and whatever a test leaves running is killed when its process ends.

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const SCRIPTS = { server: path.join(ROOT, 'src', 'main.ts'), cli: path.join(ROOT, 'src', 'cli', 'main.ts') };

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Whether the process has ended. */
  ended(): boolean;
  /** Everything it wrote so far (empty when its output goes to `onOutput` only). */
  stdout(): string;
  stderr(): string;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Receives each chunk of output; without it, the output is kept for `stdout()`/`stderr()`. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

const running = new Set<ChildProcess>();

/** Starts a child whose end is tracked; `killChildren` ends it if the test does not. */
export function spawnChild(command: string, args: readonly string[], options: SpawnOptions): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  const kept = { stdout: '', stderr: '' };
  const output =
    options.onOutput ?? ((chunk: string, stream: 'stdout' | 'stderr') => (kept[stream] += chunk));
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => output(chunk, 'stdout'));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => output(chunk, 'stderr'));
  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    proc.on('error', (err) => output(`spawn failed: ${err.message}\n`, 'stderr'));
    proc.on('close', (code, signal) => {
      done = true;
      running.delete(proc);
      resolve({ code, signal });
    });
  });
  return { proc, exited, ended: () => done, stdout: () => kept.stdout, stderr: () => kept.stderr };
}

/** The parent's environment without any Canopy setting (nor node:test's own marker), plus `env`. */
export function canopyEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...Object.keys(ENV_VARS), 'CANOPY_CONFIG', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']) {
    delete clean[name];
  }
  return { ...clean, ...env };
}

/** Canopy's server (or, with `cli`, its command line with `args`), configured by `env` only. */
export function spawnCanopy(
  env: Record<string, string>,
  options: { cli?: readonly string[]; onOutput?: SpawnOptions['onOutput'] } = {},
): Child {
  const args = options.cli ? [SCRIPTS.cli, ...options.cli] : [SCRIPTS.server];
  return spawnChild(NODE, args, { cwd: ROOT, env: canopyEnv(env), onOutput: options.onOutput });
}

/** SIGKILLs every child still running: a failed test leaves no process behind. */
export function killChildren(): void {
  for (const proc of running) proc.kill('SIGKILL');
}
// Also when the test process ends without its `after` hooks (a crash, the runner's timeout).
process.once('exit', killChildren);

/** Waits for a child's exit, failing after `ms`. */
export async function exitWithin(child: Child, ms: number, what: string): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([child.exited, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown by a `waitUntil` check when waiting longer cannot help (the process it waits for died). */
export class GiveUp extends Error {}

/**
 * Polls `check` until it returns true, failing with `what` (and the last error it threw) after
 * `ms`, or at once when it throws GiveUp. A bound on liveness, not a speed requirement: generous
 * for a busy 2-core CI machine.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { ms: number; every?: number },
): Promise<void> {
  const deadline = Date.now() + options.ms;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof GiveUp) assert.fail(`${what}: ${err.message}`);
      last = err;
    }
    if (Date.now() > deadline) {
      const cause = last instanceof Error ? ` (last error: ${last.message})` : '';
      assert.fail(`${what}: not within ${options.ms} ms${cause}`);
    }
    await sleep(options.every ?? 100);
  }
}

/**
 * A loopback port for a server started later (after other things have started): nobody listens on
 * it now, and it lies below the kernel's ephemeral range, so that no `listen(0)` meanwhile — of this
 * process or of another test's — can be handed the same port.
 */
export async function reservedPort(): Promise<number> {
  const [ephemeralLow = 32768] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const low = 20_000;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * Math.max(1, ephemeralLow - low));
    const probe = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise((resolve) => probe.close(resolve));
      return port;
    }
  }
  return freePort();
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}
