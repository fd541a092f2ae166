import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import { createNodesRepository, type NodeRow } from './nodes.repository.ts';

const HEARTBEAT_MS = 60_000;

/**
 * A serving node says which keys its ring holds (ids only) while it runs, so that operator
 * commands run elsewhere can tell whether every node would open what they seal (SEC-11).
 */
export function createNodePresence(deps: { db: Db; box: SecretBox; logger: Pick<Logger, 'warn'> }) {
  const nodes = createNodesRepository(deps.db);
  const self = {
    id: randomUUID(),
    label: `${hostname()}:${process.pid}`,
    sealingKeyId: deps.box.keyId,
    keyIds: deps.box.keyIds,
  };
  let timer: NodeJS.Timeout | undefined;
  const beat = () =>
    nodes
      .upsert(self)
      .catch((err: Error) => deps.logger.warn({ err: err.message }, 'could not refresh this node'));
  return {
    async start(): Promise<void> {
      await nodes.forgetStale();
      await nodes.upsert(self);
      timer = setInterval(beat, HEARTBEAT_MS);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await nodes.remove(self.id).catch(() => {}); // a stopped node's row also ages out
    },
  };
}

const describe = (n: NodeRow) =>
  `node ${n.label} (seen ${n.secondsAgo} s ago; seals with ${n.sealingKeyId}, holds ${n.keyIds.join(', ')})`;

/** Refuses while a running node does not hold `keyId`: it could not open what this command seals. */
export async function assertEveryNodeHolds(db: Db, keyId: string): Promise<void> {
  const lacking = (await createNodesRepository(db).live()).filter((n) => !n.keyIds.includes(keyId));
  if (lacking.length === 0) return;
  throw new AppError(
    'secrets.ring_mismatch',
    { keyId, nodes: lacking.map((n) => n.label) },
    {
      message:
        `${lacking.map(describe).join('; ')} does not hold key ${keyId}, which this command seals with: ` +
        'give every node a SECRETS_KEY ring holding it first (docs/operating.md, "Keys", step 2)',
    },
  );
}

/** Refuses while a running node still seals with `keyId`. */
export async function assertNoNodeSealsWith(db: Db, keyId: string): Promise<void> {
  const sealing = (await createNodesRepository(db).live()).filter((n) => n.sealingKeyId === keyId);
  if (sealing.length === 0) return;
  throw new AppError(
    'secrets.ring_mismatch',
    { keyId, nodes: sealing.map((n) => n.label) },
    {
      message:
        `${sealing.map(describe).join('; ')} still seals with key ${keyId}: put the new key first in ` +
        'SECRETS_KEY on every node and restart them (docs/operating.md, "Keys", step 3)',
    },
  );
}

/** The running nodes and their rings, for `canopy secrets status`. */
export const liveNodes = (db: Db) => createNodesRepository(db).live();

/** REL-6: deletes the rows of nodes not seen for the liveness window (they crashed); how many. */
export const forgetStaleNodes = (db: Db) => createNodesRepository(db).forgetStale();
