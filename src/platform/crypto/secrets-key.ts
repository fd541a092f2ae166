import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.ts';
import { parseSecretsKey } from './secret-box.ts';

export const SECRETS_KEY_FILE = 'secrets.key';

/**
 * SECRETS_KEY from configuration; in embedded mode without one, a key kept in DATA_DIR (generated
 * on first start). A shared database needs the same key on every node, so there it is required.
 */
export function resolveSecretsKey(options: {
  configured: string | null;
  dataDir: string;
  embedded: boolean;
  logger: Logger;
}): Buffer {
  if (options.configured) return parseSecretsKey(options.configured);
  if (!options.embedded) {
    throw new Error(
      'SECRETS_KEY is required when DATABASE_URL is set (32 bytes, 64 hex characters or base64)',
    );
  }
  const file = path.join(options.dataDir, SECRETS_KEY_FILE);
  if (existsSync(file)) return parseSecretsKey(readFileSync(file, 'utf8').trim());
  mkdirSync(options.dataDir, { recursive: true });
  const key = crypto.getRandomValues(Buffer.alloc(32));
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  options.logger.warn(
    { file },
    'generated a new SECRETS_KEY for the embedded database; back this file up, or set SECRETS_KEY yourself',
  );
  return key;
}
