import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// What every process of the cluster test has in common: a shared, bounded log of what they said
// (printed when a scenario fails), bounded waits, and a registry that kills whatever is left.

/** The tail of every child's stdout and stderr, one line per chunk, prefixed with who said it. */
export class OutputLog {
  #text = '';
  readonly #limit: number;

  constructor(limit = 200_000) {
    this.#limit = limit;
  }

  append(who: string, chunk: string): void {
    const lines = chunk
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => `[${who}] ${line}\n`);
    this.#text = (this.#text + lines.join('')).slice(-this.#limit);
  }

  note(line: string): void {
    this.append('test', line);
  }

  text(): string {
    return this.#text;
  }
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface Spawned {
  readonly proc: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Whether the process has ended. */
  ended(): boolean;
}

const running = new Set<ChildProcess>();

/** Spawns a child whose output goes to `log` under `who`; `killEverything` ends it if the test does not. */
export function spawnLogged(
  who: string,
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; log: OutputLog },
): Spawned {
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let done = false;
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => options.log.append(who, chunk));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => options.log.append(who, chunk));
  const exited = new Promise<Exit>((resolve) => {
    proc.on('error', (err) => options.log.append(who, `spawn failed: ${err.message}`));
    proc.on('close', (code, signal) => {
      done = true;
      running.delete(proc);
      options.log.append(who, `exited (code ${code}, signal ${signal})`);
      resolve({ code, signal });
    });
  });
  return { proc, exited, ended: () => done };
}

/** SIGKILLs every child still running: a failed test leaves no process behind. */
export function killEverything(): void {
  for (const proc of running) proc.kill('SIGKILL');
}
// Also when the test process ends without its `after` hooks (a crash, the runner's timeout).
process.once('exit', killEverything);

/** Waits for a child's exit, failing after `ms`. */
export async function exitWithin(child: Spawned, ms: number, what: string): Promise<Exit> {
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
