import { backend, migratedImagePath } from './test-database.ts';

// Runs once before the test files: builds the migrated database image they all start from, and
// says which backend this run covers, so a reader of the output knows what was (not) tested.
export async function globalSetup(): Promise<void> {
  const redis = process.env.REDIS_URL
    ? 'Redis'
    : 'no Redis (REDIS_URL not set: cross-node signals tested in-process only)';
  console.log(
    `# canopy tests: ${backend === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}, ${redis}`,
  );
  if (backend === 'embedded') await migratedImagePath();
}
