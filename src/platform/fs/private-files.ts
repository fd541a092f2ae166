import { chmodSync, lstatSync, mkdirSync, readdirSync, readlinkSync, type Stats, statSync } from 'node:fs';
import path from 'node:path';
import { SECRETS_KEY_FILE } from '../crypto/secrets-key.ts';
import type { Logger } from '../logger.ts';

// SEC-10: what Canopy keeps in DATA_DIR (the embedded database, secrets.key, the mail outbox) is
// the service's alone. Directories are 0700, files 0600, and a start on anything looser is refused.

/** The umask Canopy runs with: what the process creates is its own user's only. */
export const PRIVATE_UMASK = 0o077;

/** The embedded database's directory inside DATA_DIR. */
export const EMBEDDED_DB_DIR = 'pglite';

export interface FileModeFinding {
  /** Absolute path of what is wrong. */
  readonly path: string;
  /** Its permission bits, e.g. 0o755. */
  readonly mode: number;
  /** The shell command that fixes it. */
  readonly fix: string;
  /** One line for the operator: the path, what is wrong, the fix. */
  readonly message: string;
}

/**
 * Creates `dir` (and missing parents) as 0700. mkdir's mode passes through the umask, so a
 * directory Canopy creates itself is also chmod-ed; an existing one is left to the check below.
 */
export function ensurePrivateDir(dir: string): void {
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
}

/**
 * Removes group and other bits from everything under `dir` (symbolic links aside). PGlite's file
 * system (emscripten's NODEFS) chmods what it creates to the mode it chose itself, so the process
 * umask does not reach its files: the template database initdb leaves arrives as 0666, and files
 * PostgreSQL opens with fopen() as 0644. The 0700 directory keeps others out meanwhile; this keeps
 * a copy (a backup made with `cp -a` or `tar`) private too.
 */
export function restrictTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isSymbolicLink()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const mode = statOrNull(file, lstatSync)?.mode;
    if (mode !== undefined && mode & 0o077) chmodSync(file, mode & 0o700);
  }
  const mode = statSync(dir).mode;
  if (mode & 0o077) chmodSync(dir, mode & 0o700);
}

/**
 * What in DATA_DIR other local users can reach, or another user owns: DATA_DIR itself, the
 * embedded database's directory and secrets.key, each when it exists (a leftover embedded database
 * still holds tokens, so it counts with DATABASE_URL too). Files inside the database directory are
 * made private when it opens (restrictTree). `uid` undefined (Windows): ownership is not checked.
 */
export function checkPrivateFiles(dataDir: string, uid = process.getuid?.()): FileModeFinding[] {
  if (process.platform === 'win32') return []; // modes there say nothing about the ACLs that decide
  const root = path.resolve(dataDir);
  const rootStats = statOrNull(root, statSync);
  if (!rootStats) return [];
  const findings = inspect('DATA_DIR', root, rootStats, uid);
  const db = path.join(root, EMBEDDED_DB_DIR);
  const dbStats = statOrNull(db, statSync);
  if (dbStats) findings.push(...inspect('The embedded database', db, dbStats, uid));
  const key = path.join(root, SECRETS_KEY_FILE);
  const keyStats = statOrNull(key, lstatSync);
  if (keyStats?.isSymbolicLink()) findings.push(symlinkedKey(key, keyStats));
  else if (keyStats) findings.push(...inspect('The secrets key', key, keyStats, uid));
  return findings;
}

/**
 * SEC-10 at start, before the database is opened or a key is read: the lines that refuse the
 * start (none: go on). With SKIP_FILE_MODE_CHECK each finding is logged as a warning instead.
 */
export function refuseOpenFiles(
  storage: { dataDir: string; skipFileModeCheck: boolean },
  logger: Pick<Logger, 'warn'>,
): string[] {
  const findings = checkPrivateFiles(storage.dataDir);
  if (!storage.skipFileModeCheck) return findings.map((f) => f.message);
  for (const f of findings) {
    logger.warn(
      { path: f.path, mode: octal(f.mode), fix: f.fix },
      `${f.message} (SKIP_FILE_MODE_CHECK is set: starting anyway)`,
    );
  }
  return [];
}

function inspect(label: string, file: string, stats: Stats, uid: number | undefined): FileModeFinding[] {
  const mode = stats.mode & 0o777;
  const findings: FileModeFinding[] = [];
  if (mode & 0o077) {
    const fix = `chmod ${stats.isDirectory() ? '700' : '600'} ${shellWord(file)}`;
    const message = `${label} ${file} is ${exposure(mode)} other local users (mode ${octal(mode)}); run: ${fix}`;
    findings.push({ path: file, mode, fix, message });
  }
  if (uid === 0 && stats.uid !== 0) {
    // Root started it (`sudo canopy …`): handing the files to root would lock the service out.
    const fix = `run Canopy as uid ${stats.uid}, the owner of ${shellWord(file)}`;
    const message = `${label} ${file} is owned by uid ${stats.uid}, and Canopy runs as root; ${fix}`;
    findings.push({ path: file, mode, fix, message });
  } else if (uid !== undefined && stats.uid !== uid) {
    const fix = `chown ${stats.isDirectory() ? '-R ' : ''}${uid} ${shellWord(file)}`;
    const message =
      `${label} ${file} is owned by uid ${stats.uid}, not by the user Canopy runs as (uid ${uid}); ` +
      `run as root: ${fix}`;
    findings.push({ path: file, mode, fix, message });
  }
  return findings;
}

/**
 * A linked key is refused, whatever the target's mode: whoever controls the target's directory
 * can read or swap the key. A key managed elsewhere belongs in SECRETS_KEY.
 */
function symlinkedKey(file: string, stats: Stats): FileModeFinding {
  const target = path.resolve(path.dirname(file), readlinkSync(file));
  const fix = `rm ${shellWord(file)} && cp ${shellWord(target)} ${shellWord(file)} && chmod 600 ${shellWord(file)}`;
  const message =
    `The secrets key ${file} is a symbolic link (to ${target}); Canopy keeps it only as a file of ` +
    `its own: run: ${fix} (or set SECRETS_KEY instead)`;
  return { path: file, mode: stats.mode & 0o777, fix, message };
}

function exposure(mode: number): string {
  if (mode & 0o022) return 'writable by';
  if (mode & 0o044) return 'readable by';
  return 'open to';
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/** The path as one shell word, quoted only when it needs to be. */
const shellWord = (value: string) =>
  /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;

function statOrNull(file: string, stat: typeof statSync | typeof lstatSync): Stats | null {
  try {
    return stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}
