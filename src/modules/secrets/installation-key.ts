import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/database.ts';
import { createInstallationKeyRepository } from './installation-key.repository.ts';
import { SEALED_COLUMNS, sealingContext } from './sealed-columns.ts';

const COLUMN = SEALED_COLUMNS.find((c) => c.table === 'installation_keys')!;

/**
 * The installation's random key `name` (32 bytes), made at the first start. Unlike keys derived from
 * the SECRETS_KEY ring, it survives a rotation: it is stored sealed with the ring (re-sealed by
 * `canopy secrets reseal` like every secret), so what it keys stays comparable across rotations and
 * between nodes in the middle of one.
 */
export async function ensureInstallationKey(
  db: Db,
  box: SecretBox,
  name: string,
  now = new Date(),
): Promise<Buffer> {
  const keys = createInstallationKeyRepository(db);
  const context = sealingContext(COLUMN, name);
  // Another node may be inserting at the same moment: whichever row won is the one read back.
  await keys.insertIfAbsent(name, box.seal(randomBytes(32).toString('base64url'), context), now);
  const sealed = await keys.sealedKey(name);
  if (!sealed) throw new Error(`installation key ${name} was not stored`);
  const key = Buffer.from(box.open(sealed, context), 'base64url');
  if (key.length !== 32) throw new Error(`installation key ${name} is damaged`);
  return key;
}
