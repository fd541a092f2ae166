// In-memory measurements: building the index (time and heap), permission checks (throughput, batch
// and single-call latency) and the visible tree. The database plays no part once the index exists.
import type { SnapshotRepository } from '../../src/modules/roles/directory/snapshot.repository.ts';
import { TenantIndex } from '../../src/modules/roles/index.ts';
import { summarize, timed } from '../stats.ts';
import {
  BATCH,
  BUSINESS_GROUPS,
  CHECK_QUERIES,
  INDEX_BUILDS,
  THROUGHPUT_PASSES,
  VISIBLE_RUNS,
  WARMUP_CHECKS,
} from './parameters.ts';
import type { Queries } from './queries.ts';

export function checkAll(index: TenantIndex, q: Queries, from: number, to: number): number {
  let allowed = 0;
  for (let i = from; i < to; i++)
    if (index.can(q.user[i]!, q.permission[i]!, q.node[i]!, q.env[i])) allowed++;
  return allowed;
}

/** Per-call latency as the mean of batches of BATCH calls: little timer overhead, but smooths outliers. */
function batchLatencies(index: TenantIndex, q: Queries, count: number): Float64Array {
  const samples = new Float64Array(Math.floor(count / BATCH));
  let sink = 0;
  for (let b = 0; b < samples.length; b++) {
    const started = process.hrtime.bigint();
    sink += checkAll(index, q, b * BATCH, (b + 1) * BATCH);
    samples[b] = Number(process.hrtime.bigint() - started) / BATCH;
  }
  if (sink < 0) console.log(sink);
  return samples;
}

/** Every call timed on its own: each sample includes one timer read (measured separately). */
function singleLatencies(index: TenantIndex, q: Queries, count: number): Float64Array {
  const samples = new Float64Array(count);
  let sink = 0;
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    if (index.can(q.user[i]!, q.permission[i]!, q.node[i]!, q.env[i])) sink++;
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  if (sink < 0) console.log(sink);
  return samples;
}

function timerOverhead(): number {
  const samples = new Float64Array(200_000);
  for (let i = 0; i < samples.length; i++) {
    const started = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  return summarize(samples).p50;
}

export function collectGarbage(): void {
  globalThis.gc?.();
  globalThis.gc?.();
}

/** Full reloads, `runs` times: the snapshot load and `new TenantIndex` timed apart (milliseconds). */
export async function timeIndexBuilds(
  snapshots: SnapshotRepository,
  tenantId: string,
  runs = INDEX_BUILDS,
): Promise<{ loads: number[]; builds: number[] }> {
  const loads: number[] = [];
  const builds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const load = await timed(() => snapshots.load(tenantId));
    loads.push(load.ms);
    const started = performance.now();
    const built = new TenantIndex(load.result);
    builds.push(performance.now() - started);
    if (built.nodeCount !== BUSINESS_GROUPS + 1) throw new Error(`index has ${built.nodeCount} nodes`);
  }
  return { loads, builds };
}

/** Heap growth after forced collections: snapshot alone, then the index alone once the snapshot is gone. */
export async function measureIndexHeap(
  snapshots: SnapshotRepository,
  tenantId: string,
): Promise<{ index: TenantIndex; indexBytes: number; snapshotBytes: number }> {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  let withSnapshot = 0;
  // The snapshot lives only in this closure's frame, which is gone once it returns.
  const index = await (async () => {
    const snapshot = await snapshots.load(tenantId);
    collectGarbage();
    withSnapshot = process.memoryUsage().heapUsed;
    return new TenantIndex(snapshot);
  })();
  collectGarbage();
  return {
    index,
    indexBytes: process.memoryUsage().heapUsed - before,
    snapshotBytes: withSnapshot - before,
  };
}

export function measureChecks(index: TenantIndex, q: Queries) {
  checkAll(index, q, 0, WARMUP_CHECKS);
  const passes: number[] = [];
  let allowed = 0;
  for (let pass = 0; pass < THROUGHPUT_PASSES; pass++) {
    const started = process.hrtime.bigint();
    allowed = checkAll(index, q, 0, CHECK_QUERIES);
    passes.push(Number(process.hrtime.bigint() - started));
  }
  const medianPass = [...passes].sort((x, y) => x - y)[Math.floor(passes.length / 2)]!;
  return {
    passes,
    medianPass,
    throughput: CHECK_QUERIES / (medianPass / 1e9),
    allowed,
    batches: summarize(batchLatencies(index, q, CHECK_QUERIES)),
    singles: summarize(singleLatencies(index, q, CHECK_QUERIES)),
    timer: timerOverhead(),
  };
}

export function measureVisible(index: TenantIndex, userId: string) {
  const visible = index.visibleNodes(userId);
  for (let i = 0; i < 20; i++) index.visibleNodes(userId);
  const samples = new Float64Array(VISIBLE_RUNS);
  for (let i = 0; i < VISIBLE_RUNS; i++) {
    const started = process.hrtime.bigint();
    index.visibleNodes(userId);
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  return { visible, stats: summarize(samples) };
}

export type CheckMeasurement = ReturnType<typeof measureChecks>;
export type VisibleMeasurement = ReturnType<typeof measureVisible>;
