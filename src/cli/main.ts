// Canopy's operator command line: `npm run canopy -- <command>`, or `canopy <command>` (bin/canopy.js).
// Parses the arguments, opens configuration and storage only for a command that needs them, runs
// the command, always closes what it opened, and leaves the exit code in process.exitCode.
import { userInfo } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Container } from '../container.ts';
import { PRIVATE_UMASK, refuseOpenFiles } from '../platform/fs/private-files.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import { EXIT_FAILURE } from './errors.ts';
import { humanLogStream } from './log-stream.ts';
import { type MigrationReport, runCli } from './program.ts';
import { readFirstLine } from './stdin.ts';

process.umask(PRIVATE_UMASK); // SEC-10: the embedded database and keys it creates are its user's only

/** EX_CONFIG, as the server: DATA_DIR or secrets.key is open to other local users (SEC-10). */
const EXIT_CONFIG = 78;

let config: Readonly<Config> | undefined;
let container: Promise<Container> | undefined;
let refusedFiles = false;

const getConfig = () => {
  config ??= loadConfig();
  return config;
};

/**
 * Logs go to stderr so they never mix with a command's output. Without LOG_LEVEL set, only
 * warnings and errors show (for example the notice that a secrets key was generated), as plain
 * lines; with LOG_LEVEL set, at that level as JSON lines.
 */
function cliLogger(cfg: Readonly<Config>): Logger {
  if (process.env.LOG_LEVEL) return createLogger(cfg.log.level, pino.destination({ dest: 2, sync: true }));
  return createLogger(
    'warn',
    humanLogStream((text) => process.stderr.write(text)),
  );
}

/** SEC-10 before storage opens: refused (exit 78) while DATA_DIR or secrets.key is open to others. */
function guardPrivateFiles(cfg: Readonly<Config>): void {
  const refusals = refuseOpenFiles(cfg.storage, cliLogger(cfg));
  if (refusals.length === 0) return;
  refusedFiles = true;
  throw new Error(refusals.join('\nerror: '));
}

// Storage modules load only for a command that needs them, so help and usage errors answer at once.
async function openServices(): Promise<Container> {
  guardPrivateFiles(getConfig());
  const { createContainer } = await import('../container.ts');
  return createContainer(getConfig(), { logger: cliLogger(getConfig()) });
}

async function migrate(): Promise<MigrationReport> {
  guardPrivateFiles(getConfig());
  const { storage } = getConfig();
  const { openDatabase } = await import('../platform/db/database.ts');
  const { migrateToLatest } = await import('../platform/db/migrate.ts');
  const database = await openDatabase({
    databaseUrl: storage.databaseUrl,
    dataDir: storage.dataDir,
    poolMax: 1,
  });
  try {
    return { applied: await migrateToLatest(database.knex), database: describeDatabase(storage) };
  } finally {
    await database.close();
  }
}

/** Where the database is, without the password a DATABASE_URL may carry. */
function describeDatabase(storage: Config['storage']): string {
  if (!storage.databaseUrl) return `embedded database in ${path.resolve(storage.dataDir)}`;
  const url = new URL(storage.databaseUrl);
  return `PostgreSQL database ${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
}

function operatorName(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:${process.env.USER ?? process.env.LOGNAME ?? 'unknown'}`;
  }
}

async function main(): Promise<number> {
  let exitCode: number = EXIT_FAILURE;
  try {
    exitCode = await runCli(process.argv.slice(2), {
      services: () => {
        container ??= openServices();
        return container;
      },
      migrate,
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      readStdinLine: () => readFirstLine(process.stdin, process.stderr),
      env: process.env,
      operatorName: operatorName(),
    });
  } finally {
    const opened = await container?.catch(() => undefined);
    try {
      await opened?.close();
    } catch (err) {
      process.stderr.write(`error: closing storage failed: ${(err as Error).message}\n`);
      exitCode = EXIT_FAILURE;
    }
  }
  return refusedFiles ? EXIT_CONFIG : exitCode;
}

process.exitCode = await main();
