import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { ENV_VARS } from '../../src/config/schema.ts';

// The real server as an operator runs it: `node src/main.ts` in a child process, configured only
// through its environment. Every wait is bounded; `killAll` stops whatever is still running.

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const MAIN = path.join(ROOT, 'src', 'main.ts');
// A liveness bound, not a speed check: a busy 2-core CI machine may take a while to load and migrate.
export const START_TIMEOUT_MS = 90_000;
export const SHUTDOWN_TIMEOUT_SECONDS = 5;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
}

export interface Server extends Child {
  readonly base: string;
}

const children = new Set<ChildProcess>();

/** The parent's environment without any Canopy setting (nor node:test's own marker), plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...Object.keys(ENV_VARS), 'CANOPY_CONFIG', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']) {
    delete clean[name];
  }
  return { ...clean, ...env };
}

function launch(env: Record<string, string>): Child {
  const proc = spawn(NODE, [MAIN], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    proc.on('close', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    });
  });
  return { proc, exited, stdout: () => out, stderr: () => err };
}

async function freePort(): Promise<number> {
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

function timeout(ms: number, what: string): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Starts a server and waits until /healthz answers (or the process dies, or 30 s pass). */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  // No drain delay unless a test asks for one: the others stop their servers at once.
  const child = launch({
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    DRAIN_DELAY_SECONDS: '0',
    ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  let died: Exit | undefined;
  void child.exited.then((exit) => {
    died = exit;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (died) {
      throw new Error(
        `the server exited (${JSON.stringify(died)}) before answering:\n${child.stderr()}\n${child.stdout()}`,
      );
    }
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return { ...child, base };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.proc.kill('SIGKILL');
  throw new Error(`the server did not answer /healthz within ${START_TIMEOUT_MS} ms:\n${child.stderr()}`);
}

/** Runs a server that is expected to stop by itself, and returns how it ended. */
export async function runToExit(env: Record<string, string>, ms = START_TIMEOUT_MS) {
  const child = launch({ HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'info', ...env });
  const limit = timeout(ms, 'the server was expected to exit');
  try {
    const exit = await Promise.race([child.exited, limit.promise]);
    return { ...exit, stdout: child.stdout(), stderr: child.stderr() };
  } finally {
    limit.cancel();
    if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
  }
}

/** SIGTERM, then wait for the exit; the server must finish within its shutdown timeout (plus slack). */
export async function stopServer(server: Child): Promise<Exit & { ms: number }> {
  const started = Date.now();
  server.proc.kill('SIGTERM');
  const limit = timeout((SHUTDOWN_TIMEOUT_SECONDS + 5) * 1000, 'SIGTERM');
  try {
    const exit = await Promise.race([server.exited, limit.promise]);
    return { ...exit, ms: Date.now() - started };
  } finally {
    limit.cancel();
  }
}

export interface LogLine {
  level: string;
  msg: string;
  requestId?: string;
  [key: string]: unknown;
}

/** The complete lines written so far (a line still being written is left for later). */
export function logLines(stdout: string): LogLine[] {
  return stdout
    .slice(0, stdout.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      let parsed: LogLine | undefined;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        // reported below
      }
      assert.ok(
        parsed && typeof parsed === 'object',
        `stdout holds a line that is not a JSON object: ${line}`,
      );
      return parsed;
    });
}

/** A log line may be written just after the response went out: wait for it briefly. */
export async function waitForLog(server: Child, match: (line: LogLine) => boolean): Promise<LogLine> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = logLines(server.stdout()).find(match);
    if (found) return found;
    if (Date.now() > deadline) assert.fail(`no such log line in:\n${server.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGKILLs every child still running (a failed test must not leave a server behind). */
export function killAll(): void {
  for (const proc of children) proc.kill('SIGKILL');
}
