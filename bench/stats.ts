// Small helpers shared by the benchmarks: a seeded random source, percentiles, human-readable
// durations and sizes, markdown tables, and a description of the machine.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A deterministic 32-bit generator (splitmix-style), so two runs build the same data set. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const nextUint32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const random = {
    uint32: nextUint32,
    /** In [0, 1). */
    float: (): number => nextUint32() / 0x1_0000_0000,
    /** An integer in [0, n). */
    int: (n: number): number => Math.floor((nextUint32() / 0x1_0000_0000) * n),
    chance: (p: number): boolean => nextUint32() / 0x1_0000_0000 < p,
    pick<T>(items: readonly T[]): T {
      return items[Math.floor((nextUint32() / 0x1_0000_0000) * items.length)]!;
    },
    /** A version-4-shaped UUID drawn from this generator. */
    uuid(): string {
      const hex = [nextUint32(), nextUint32(), nextUint32(), nextUint32()]
        .map((w) => w.toString(16).padStart(8, '0'))
        .join('');
      const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
      const text = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
      // Concatenation leaves a rope; ids read from a request or a database row are flat strings,
      // and Map lookups with a rope key cost several times more, so flatten it like they would be.
      return Buffer.from(text, 'latin1').toString('latin1');
    },
  };
  return random;
}

export type Random = ReturnType<typeof seededRandom>;

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const v of sorted) total += v;
  return {
    count: sorted.length,
    mean: total / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** A duration given in nanoseconds, in the unit that reads best. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(ns < 10_000 ? 2 : 1)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(ns < 10_000_000 ? 2 : 1)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

export function formatMs(ms: number): string {
  return formatNs(ms * 1_000_000);
}

export function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1 ? `${mib.toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  return ratio >= 100 ? `${formatCount(ratio)}×` : `${ratio.toFixed(1)}×`;
}

/** A markdown table, padded so it also reads well in a terminal. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (c ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Wall time of an async step, in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

export function machine(): { cpus: number; cpuModel: string; ram: string; node: string; load: string } {
  return {
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    ram: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
  };
}

const ROOT = path.resolve(import.meta.dirname, '..');

/** The installed version of a package, for a report's header. */
export function versionOf(pkg: string): string {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8'));
  return (manifest as { version: string }).version;
}
