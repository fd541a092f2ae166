import path from 'node:path';
import { backend, dropAbandonedTestSchemas, migratedImagePath } from './test-database.ts';

const COMPILE_CACHE = path.resolve(import.meta.dirname, '../../.cache/node-compile');

// Runs once before the test files: builds the migrated database image they all start from, and
// says which backend this run covers, so a reader of the output knows what was (not) tested.
export async function globalSetup(): Promise<void> {
  const redis = process.env.REDIS_URL
    ? 'Redis'
    : 'no Redis (REDIS_URL not set: cross-node signals tested in-process only)';
  console.log(
    `# canopy tests: ${backend === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}, ${redis}`,
  );
  // Every test file is a process of its own that loads the whole app, and so are the servers and
  // CLI runs the tests start: they inherit this, and reuse V8's compiled code (and the TypeScript
  // stripped) from the last run instead of compiling it again.
  process.env.NODE_COMPILE_CACHE ??= COMPILE_CACHE;
  if (backend === 'embedded') await migratedImagePath();
  else await dropAbandonedTestSchemas();
}
