import { setTimeout as sleep } from 'node:timers/promises';

export interface TrafficResult {
  iterations: number;
  /** Steps that threw, with the iteration and worker they came from. */
  errors: { worker: number; iteration: number; message: string }[];
}

export interface Traffic {
  /** Resolves once at least `n` iterations have completed (or the traffic ended). */
  reached(n: number): Promise<void>;
  readonly iterations: number;
  /** Stops the workers after their current step and returns what happened. */
  stop(): Promise<TrafficResult>;
}

/**
 * Background traffic: `workers` loops each running `step` until stopped, bounded in iterations
 * and in time so a scenario that hangs still ends. A step that throws is recorded, not fatal:
 * the scenario decides afterwards what may have failed.
 */
export function startTraffic(options: {
  workers: number;
  step: (worker: number, iteration: number) => Promise<void>;
  maxIterations?: number;
  maxMs?: number;
  /** Pause between a worker's steps, so background traffic leaves the machine some breath. */
  pauseMs?: number;
}): Traffic {
  const maxIterations = options.maxIterations ?? 5_000;
  const deadline = Date.now() + (options.maxMs ?? 90_000);
  const result: TrafficResult = { iterations: 0, errors: [] };
  let stopped = false;
  let finished = false;
  const waiters: { n: number; resolve: () => void }[] = [];
  const wake = (all = false) => {
    for (const w of [...waiters]) {
      if (all || result.iterations >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  async function worker(id: number): Promise<void> {
    while (!stopped && result.iterations < maxIterations && Date.now() < deadline) {
      const iteration = result.iterations;
      try {
        await options.step(id, iteration);
      } catch (err) {
        result.errors.push({ worker: id, iteration, message: (err as Error).message.slice(0, 500) });
      }
      result.iterations++;
      wake();
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  }

  const done = Promise.all(Array.from({ length: options.workers }, (_, i) => worker(i))).then(() => {
    finished = true;
    wake(true);
  });
  return {
    reached(n) {
      if (result.iterations >= n || finished) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    get iterations() {
      return result.iterations;
    },
    async stop() {
      stopped = true;
      await done;
      return result;
    },
  };
}
