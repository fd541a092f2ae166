import { after, describe } from 'node:test';
import { pathToFileURL } from 'node:url';
import { closeIdleTestDatabases } from '../helpers/test-database.ts';
import { GROUP_FILES_VARIABLE } from './groups.ts';

// The one file a group's `node --test --test-isolation=none` process loads (run.ts): each test file
// of the group becomes a suite named by its path, so that its top-level hooks stay its own (without
// isolation, Node would attach them to the process's root, and a file's `after` would wait for the
// whole group). Node imports every file before it runs any test, so a file's top-level set-up (an
// `await apiSuite()`) runs at the start; its `after` hooks run when its own tests end.

const files = JSON.parse(process.env[GROUP_FILES_VARIABLE] ?? '[]') as string[];
for (const file of files) {
  describe(file, async () => {
    await import(pathToFileURL(file).href);
  });
}
// The test databases the group's files closed and left for the next ones (test-db-pool.ts).
after(closeIdleTestDatabases);
