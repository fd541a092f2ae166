import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.ts';
import { parseSecretsKeyRing } from './secret-box.ts';

export const SECRETS_KEY_FILE = 'secrets.key';

/** The keys that seal and open secrets at rest (SEC-11), and where they are kept. */
export interface SecretsKeyRing {
  /** The sealing key first, then the keys that only open. */
  readonly keys: readonly Buffer[];
  /** DATA_DIR/secrets.key when Canopy keeps the ring itself (embedded, SECRETS_KEY unset); else null. */
  readonly file: string | null;
}

/**
 * SECRETS_KEY from configuration; in embedded mode without one, a ring kept in DATA_DIR (generated
 * on first start). A shared database needs the same ring on every node, so there it is required.
 */
export function resolveSecretsKeyRing(options: {
  configured: string | null;
  dataDir: string;
  embedded: boolean;
  logger: Logger;
}): SecretsKeyRing {
  if (options.configured) return { keys: parseSecretsKeyRing(options.configured), file: null };
  if (!options.embedded) {
    throw new Error(
      'SECRETS_KEY is required when DATABASE_URL is set (32 bytes, 64 hex characters or base64)',
    );
  }
  const file = path.join(options.dataDir, SECRETS_KEY_FILE);
  if (existsSync(file)) return { keys: readSecretsKeyFile(file), file };
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const key = crypto.getRandomValues(Buffer.alloc(32));
  writeFileSync(file, ringFileText([key]), { mode: 0o600, flag: 'wx' });
  options.logger.warn(
    { file },
    'generated a new SECRETS_KEY for the embedded database; back this file up, or set SECRETS_KEY yourself',
  );
  return { keys: [key], file };
}

/** A fresh random key for a ring. */
export function generateSecretsKey(): Buffer {
  return crypto.getRandomValues(Buffer.alloc(32));
}

export function readSecretsKeyFile(file: string): Buffer[] {
  return parseSecretsKeyRing(readFileSync(file, 'utf8'));
}

/**
 * Replaces secrets.key with `keys` at once and durably: a crash or power loss leaves the old file
 * or the new, never half of one, and never an empty file beside values the new key sealed.
 */
export function writeSecretsKeyFile(file: string, keys: readonly Buffer[]): void {
  parseSecretsKeyRing(keys.map((k) => k.toString('hex')).join(',')); // the same rules as reading
  const next = `${file}.next`;
  rmSync(next, { force: true }); // a leftover from a crash: start afresh, so the mode below applies
  writeFileSync(next, ringFileText(keys), { mode: 0o600, flag: 'wx' });
  syncPath(next, 'r+');
  renameSync(next, file);
  syncPath(path.dirname(file), 'r'); // the rename itself
}

function syncPath(target: string, flags: string): void {
  const fd = openSync(target, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function ringFileText(keys: readonly Buffer[]): string {
  return [
    '# Canopy secrets key ring: one key per line, the first seals, the others only open.',
    '# Back this file up with the database; never share it. See docs/operating.md, "Keys".',
    ...keys.map((k) => k.toString('hex')),
    '',
  ].join('\n');
}
