import assert from 'node:assert/strict';
import {
  type Child,
  type Exit,
  exitWithin,
  freePort,
  killChildren,
  spawnCanopy,
} from '../helpers/child-processes.ts';

// The real server as an operator runs it (test/helpers/child-processes.ts), started and stopped
// the way these tests need: on a free port, ready once /healthz answers. Every wait is bounded.

// A liveness bound, not a speed check: a busy 2-core CI machine may take a while to load and migrate.
export const START_TIMEOUT_MS = 90_000;
export const SHUTDOWN_TIMEOUT_SECONDS = 5;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type { Exit };

export interface Server extends Child {
  readonly base: string;
}

/** Starts a server and waits until /healthz answers (or the process dies, or 30 s pass). */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  // No drain delay unless a test asks for one: the others stop their servers at once.
  const child = spawnCanopy({
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
  const child = spawnCanopy({ HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'info', ...env });
  try {
    const exit = await exitWithin(child, ms, 'the server was expected to exit');
    return { ...exit, stdout: child.stdout(), stderr: child.stderr() };
  } finally {
    if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
  }
}

/** SIGTERM, then wait for the exit; the server must finish within its shutdown timeout (plus slack). */
export async function stopServer(server: Child): Promise<Exit & { ms: number }> {
  const started = Date.now();
  server.proc.kill('SIGTERM');
  const exit = await exitWithin(server, (SHUTDOWN_TIMEOUT_SECONDS + 5) * 1000, 'SIGTERM');
  return { ...exit, ms: Date.now() - started };
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
export const killAll = killChildren;
