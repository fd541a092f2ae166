import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { groupTestFiles, MAX_FILES } from './groups.ts';

// How `npm test` splits the suite into processes (run.ts): by folder, long folders in near-equal
// parts, process-driving folders one file each, the longest groups first.

const files = (folder: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${folder}/f${String(i).padStart(2, '0')}.test.ts`);

describe('test groups', () => {
  test('one group per test folder, src as one folder; every file in exactly one group', () => {
    const all = [...files('test/api', 3), ...files('test/oidc', 2), 'src/a/x.test.ts', 'src/b/y.test.ts'];
    const groups = groupTestFiles(all);
    assert.deepEqual(
      groups.map((g) => [g.name, g.files.length]),
      [
        ['test/api', 3],
        ['src', 2],
        ['test/oidc', 2],
      ],
    );
    assert.deepEqual(groups.flatMap((g) => g.files).sort(), [...all].sort());
  });

  test(`a folder of more than ${MAX_FILES} files is split into near-equal parts, in order`, () => {
    const all = files('test/integration', 37);
    const groups = groupTestFiles(all);
    assert.deepEqual(
      groups.map((g) => [g.name, g.files.length]),
      [
        ['test/integration#1', 13],
        ['test/integration#2', 13],
        ['test/integration#3', 11],
      ],
    );
    assert.deepEqual(
      groups.flatMap((g) => g.files),
      all,
    );
  });

  test('files that drive servers, browsers or HAProxy get a process each', () => {
    const all = [...files('test/server', 2), ...files('test/e2e', 1), ...files('test/cluster', 1)];
    const groups = groupTestFiles(all).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(
      groups.map((g) => [g.name, g.files]),
      [...all].sort().map((f) => [f, [f]]),
    );
  });

  test('the groups that took longest last time go first; unknown ones by their number of files', () => {
    const all = [...files('test/api', 3), ...files('test/web', 1), ...files('test/cli', 2)];
    assert.deepEqual(
      groupTestFiles(all, { 'test/web': 40, 'test/api': 5 }).map((g) => g.name),
      ['test/web', 'test/api', 'test/cli'],
    );
  });
});
