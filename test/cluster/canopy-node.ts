import assert from 'node:assert/strict';
import {
  type Child,
  type Exit,
  exitWithin,
  GiveUp,
  spawnCanopy,
  waitUntil,
} from '../helpers/child-processes.ts';
import type { OutputLog } from './processes.ts';

/** A liveness bound for a start (load, connect, serve), generous for a busy 2-core machine. */
const START_TIMEOUT_MS = 90_000;

/**
 * One Canopy node as an operator runs it: `node src/main.ts` configured only by its environment,
 * on a fixed port (the balancer's configuration names it), so a restart comes back at the same
 * address.
 */
export class CanopyNode {
  readonly name: string;
  readonly port: number;
  readonly #env: Record<string, string>;
  readonly #log: OutputLog;
  #child: Child | undefined;
  /** How long a SIGTERM may take: the drain delay, in-flight requests, closing storage. */
  readonly #stopMs: number;

  constructor(name: string, port: number, env: Record<string, string>, log: OutputLog) {
    this.name = name;
    this.port = port;
    this.#env = { ...env, HOST: '127.0.0.1', PORT: String(port) };
    this.#log = log;
    const seconds = (key: string) => Number(env[key] ?? 5);
    this.#stopMs = (seconds('DRAIN_DELAY_SECONDS') + seconds('SHUTDOWN_TIMEOUT_SECONDS') + 10) * 1000;
  }

  /** Where the node itself listens, bypassing the balancer. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child && !this.#child.ended() ? this.#child.proc.pid : undefined;
  }

  /** Starts the process and waits until its /readyz answers 200 (or it exits, or the bound passes). */
  async start(): Promise<void> {
    assert.equal(this.pid, undefined, `${this.name} is already running`);
    const child = spawnCanopy(this.#env, { onOutput: this.#log.writer(this.name) });
    this.#log.recordExit(this.name, child);
    this.#child = child;
    await waitUntil(
      `${this.name} answers /readyz with 200`,
      async () => {
        if (child.ended()) throw new GiveUp(`${this.name} exited before it was ready`);
        const res = await fetch(`${this.origin}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status === 200;
      },
      { ms: START_TIMEOUT_MS, every: 200 },
    );
  }

  /** SIGTERM, as a rolling restart or an orchestrator sends it, and waits for the exit. */
  async stop(): Promise<Exit> {
    return this.#signal('SIGTERM', this.#stopMs);
  }

  /** SIGKILL: the node dies mid-request, with no chance to finish anything. */
  async kill(): Promise<Exit> {
    return this.#signal('SIGKILL', 10_000);
  }

  async #signal(signal: NodeJS.Signals, ms: number): Promise<Exit> {
    const child = this.#child;
    assert.ok(child && !child.ended(), `${this.name} is not running`);
    this.#log.note(`${signal} to ${this.name} (pid ${child.proc.pid})`);
    child.proc.kill(signal);
    return exitWithin(child, ms, `${this.name} after ${signal}`);
  }
}
