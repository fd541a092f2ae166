import { spawn } from 'node:child_process';
import { globSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { globalSetup } from '../helpers/global-setup.ts';
import { backend } from '../helpers/test-database.ts';
import { GROUP_FILES_VARIABLE, groupTestFiles, type TestGroup } from './groups.ts';

// `npm test`: every test file, in groups of one folder each run by one `node --test` process with
// `--test-isolation=none` (groups.ts says why, group-entry.ts how), several groups at a time.
// `npm test -- test/api src/web/html.test.ts` runs the files under the paths given. A group's
// output is printed whole when it ends, then one summary; the exit code is 1 when any test failed.

const ROOT = path.resolve(import.meta.dirname, '../..');
/** How long each group took last time on this backend: the two backends' slow groups differ. */
const TIMINGS = path.join(ROOT, '.cache', 'test', `group-seconds.${backend}.json`);
const ENTRY = path.join(import.meta.dirname, 'group-entry.ts');
const PATTERNS = ['src/**/*.test.ts', 'test/**/*.test.ts'];
/**
 * Groups at a time: one more than the cores, because a group often waits (for a server or command it
 * started, for Chromium, for PostgreSQL); measured on 2 cores, 3 beat 2 on PostgreSQL and tied embedded.
 */
const JOBS = Math.max(1, Number(process.env.CANOPY_TEST_JOBS) || availableParallelism() + 1);

interface GroupResult {
  group: TestGroup;
  seconds: number;
  /** Exit code, or the signal that ended it. */
  exit: number | string;
  output: string;
  counts: Record<string, number>;
}

function testFiles(paths: readonly string[]): string[] {
  const all = PATTERNS.flatMap((p) => globSync(p, { cwd: ROOT }));
  if (paths.length === 0) return all;
  const wanted = paths.map((p) => path.relative(ROOT, path.resolve(p)));
  return all.filter((f) => wanted.some((w) => f === w || f.startsWith(`${w}${path.sep}`)));
}

function readTimings(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(TIMINGS, 'utf8')) as Record<string, number>;
  } catch {
    return {}; // first run, or an unreadable file: groups are ordered by size instead
  }
}

/** The spec reporter's closing counts: `ℹ tests 12`, `ℹ pass 11`, `ℹ fail 1`… */
function countsIn(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [, name, value] of output.matchAll(/^ℹ (\w+) (\d+(?:\.\d+)?)$/gm)) counts[name!] = Number(value);
  return counts;
}

function runGroup(group: TestGroup): Promise<GroupResult> {
  const started = performance.now();
  const args = ['--test', '--test-isolation=none', '--test-force-exit', '--test-reporter=spec', ENTRY];
  const env = { ...process.env, [GROUP_FILES_VARIABLE]: JSON.stringify(group.files) };
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      resolve({ group, seconds, exit: code ?? signal ?? 'unknown', output, counts: countsIn(output) });
    });
  });
}

/** Runs the groups, JOBS at a time, longest first; prints each one's output as it ends. */
async function runAll(groups: TestGroup[]): Promise<GroupResult[]> {
  const queue = [...groups];
  const results: GroupResult[] = [];
  const worker = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      const result = await runGroup(group);
      const verdict = result.exit === 0 ? 'passed' : `FAILED (exit ${result.exit})`;
      process.stdout.write(
        `\n# ${group.name}: ${group.files.length} files, ${verdict} in ${result.seconds.toFixed(1)} s\n${result.output}`,
      );
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOBS, groups.length) }, worker));
  return results;
}

function summarize(results: GroupResult[], started: number): boolean {
  const total = (name: string) => results.reduce((sum, r) => sum + (r.counts[name] ?? 0), 0);
  const failed = results.filter((r) => r.exit !== 0);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const lines = [
    `# ${results.length} groups, ${JOBS} at a time, in ${seconds} s`,
    ...['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo'].map((name) => `# ${name} ${total(name)}`),
    ...failed.map((r) => `# FAILED: ${r.group.name} (${r.group.files.join(' ')})`),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return failed.length === 0 && results.length > 0;
}

const started = performance.now();
const files = testFiles(process.argv.slice(2));
if (files.length === 0) {
  console.error(`no test files under ${process.argv.slice(2).join(' ')}`);
  process.exit(1);
}
await globalSetup(); // once, before any group: the migrated database image, the compile cache
const timings = readTimings();
const results = await runAll(groupTestFiles(files, timings));
for (const r of results) timings[r.group.name] = Math.round(r.seconds);
mkdirSync(path.dirname(TIMINGS), { recursive: true });
writeFileSync(TIMINGS, `${JSON.stringify(timings, null, 2)}\n`);
process.exitCode = summarize(results, started) ? 0 : 1;
