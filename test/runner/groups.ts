import path from 'node:path';

/**
 * A set of test files run in one process (`--test-isolation=none`): the files of one folder, at most
 * MAX_FILES of them. Loading Canopy, the password estimator and PGlite's engine costs a test process
 * seconds of CPU, more than most files' own tests; a group pays it once.
 */
export interface TestGroup {
  /** The folder, with a part number when the folder was split: `test/oidc#2`. */
  name: string;
  files: string[];
}

/** How run.ts hands a group's files (a JSON array of paths) to group-entry.ts. */
export const GROUP_FILES_VARIABLE = 'CANOPY_TEST_GROUP_FILES';

/** Few enough that a failing group names a short list, many enough to share the start-up. */
export const MAX_FILES = 16;

/**
 * Folders whose tests drive other processes (servers, the command line, HAProxy, Chromium) and mostly
 * wait for them: each file is a group of its own, so that they wait side by side, not in a queue.
 */
const ONE_FILE_PER_GROUP = new Set(['test/server', 'test/cluster', 'test/e2e']);

/** The folder a file is grouped by: `test/<area>`, and all of src's unit tests together. */
function folderOf(file: string): string {
  const [top, area] = file.split(path.sep);
  return top === 'test' && area ? `${top}/${area}` : (top ?? file);
}

/** Splits `files` into near-equal parts of at most MAX_FILES, keeping their (sorted) order. */
function split(folder: string, files: string[]): TestGroup[] {
  if (ONE_FILE_PER_GROUP.has(folder)) return files.map((file) => ({ name: file, files: [file] }));
  const parts = Math.ceil(files.length / MAX_FILES);
  if (parts === 1) return [{ name: folder, files }];
  const size = Math.ceil(files.length / parts);
  return Array.from({ length: parts }, (_, i) => ({
    name: `${folder}#${i + 1}`,
    files: files.slice(i * size, (i + 1) * size),
  }));
}

/**
 * The groups of `files` (relative paths), longest first by the seconds each took last time (`lastSeconds`,
 * by group name), else by their number of files: a pool that starts the long ones first ends together.
 */
export function groupTestFiles(
  files: readonly string[],
  lastSeconds: Record<string, number> = {},
): TestGroup[] {
  const byFolder = new Map<string, string[]>();
  for (const file of [...files].sort()) {
    const folder = folderOf(file);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), file]);
  }
  const groups = [...byFolder].flatMap(([folder, list]) => split(folder, list));
  const weight = (g: TestGroup) => lastSeconds[g.name] ?? g.files.length;
  return groups.sort((a, b) => weight(b) - weight(a) || a.name.localeCompare(b.name));
}
