// The three processes of `npm run bench -- oidc` (Canopy or the bare provider, the load generator, and
// the benchmark itself) talk over Node's IPC channel: a child announces itself with one `ready`
// message, then answers numbered calls. Spawned under `taskset` when the machine has two cores or more.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

type Handler = (arg: unknown) => Promise<unknown> | unknown;

interface Call {
  id: number;
  cmd: string;
  arg?: unknown;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Child side: announce `ready`, then answer the parent's calls. */
export function serveCalls(ready: unknown, handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('start this script through `npm run bench -- oidc`');
  process.on('message', (message: Call) => {
    const handler = handlers[message.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown call ${message.cmd}`);
        return handler(message.arg);
      })
      .then(
        (result) => process.send!({ id: message.id, ok: true, result } satisfies Reply),
        (err: Error) =>
          process.send!({ id: message.id, ok: false, error: err.stack ?? err.message } satisfies Reply),
      );
  });
  // The parent went away (a crash, Ctrl-C): do not outlive it.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready });
}

const haveTaskset =
  os.availableParallelism() >= 2 && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** `taskset -c <cpu>` when the machine allows it; undefined when the processes float. */
export const pinning = haveTaskset ? 'taskset' : undefined;

export interface Child {
  readonly pid: number;
  readonly ready: unknown;
  call<T>(cmd: string, arg?: unknown): Promise<T>;
  /** Asks the child to stop (`stop` call), then waits for it to exit; kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The child's standard error so far (its last 4 KiB). */
  stderr(): string;
}

/** Starts `node <script>` on one CPU, with an IPC channel, and waits for its `ready` message. */
export async function startChild(
  script: string,
  options: { cpu: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[]; timeoutMs?: number },
): Promise<Child> {
  const node = [...(options.nodeArgs ?? []), script];
  const [command, args] = pinning
    ? ['taskset', ['-c', String(options.cpu), process.execPath, ...node]]
    : [process.execPath, node];
  // stdout (Canopy's JSON log lines) goes to /dev/null: written, as in production, but not read back.
  const child: ChildProcess = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let errText = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    errText = (errText + chunk).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;

  const ready = await new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start in time\n${errText}`)),
      options.timeoutMs ?? 120_000,
    );
    child.on('message', (message: { ready?: unknown } & Partial<Reply>) => {
      if ('ready' in message) {
        clearTimeout(timer);
        resolve(message.ready);
        return;
      }
      const waiting = pending.get(message.id!);
      if (!waiting) return;
      pending.delete(message.id!);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(new Error(message.error));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with status ${code} before it was ready\n${errText}`));
      for (const w of pending.values())
        w.reject(new Error(`${script} exited with status ${code}\n${errText}`));
      pending.clear();
    });
  });

  return {
    pid: child.pid!,
    ready,
    call<T>(cmd: string, arg?: unknown): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, cmd, arg } satisfies Call);
      });
    },
    async stop(graceMs = 15_000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const id = nextId++;
      child.send({ id, cmd: 'stop' } satisfies Call);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    stderr: () => errText,
  };
}

const CLOCK_TICKS = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number.parseInt(out.stdout ?? '', 10);
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** User + system CPU seconds a process has used so far, all its threads included (`/proc/<pid>/stat`). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy and total CPU time of the whole machine so far, from the first line of `/proc/stat`. */
export function machineCpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}
