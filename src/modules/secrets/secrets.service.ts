import { assertOperator, type RequestContext } from '../../platform/context.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import { assertEveryNodeHolds, assertNoNodeSealsWith, liveNodes } from './node-presence.ts';
import { columnName, SEALED_COLUMNS, type SealedColumn, sealingContext } from './sealed-columns.ts';
import { createSecretsRepository } from './secrets.repository.ts';

export interface KeyUsage {
  /** Key id (derived from the key: `v1.<key id>.…` in every value it sealed). */
  id: string;
  /** Whether this key seals new values (the first of the ring). */
  seals: boolean;
  /** Whether the ring holds it; a key that sealed values but is not held makes the start fail. */
  held: boolean;
  /** Values it sealed, per column (`table.column`), columns without any left out. */
  sealed: Record<string, number>;
  total: number;
}

export interface ResealReport {
  /** Values now sealed by the sealing key. */
  resealed: number;
  /** Values changed by a running node while being re-sealed (that node sealed them again itself). */
  changedMeanwhile: number;
  /** Values no key of the ring opens, by column and row; the run leaves them untouched. */
  unreadable: Array<{ column: string; rowKey: string }>;
}

/**
 * The SECRETS_KEY ring's operator side (SEC-11): which key sealed what, re-sealing everything with
 * the sealing key, and the check that makes retiring a key safe.
 */
export function createSecretsService(deps: { db: Db; box: SecretBox; audit: AuditService }) {
  const { db, box, audit } = deps;
  const secrets = createSecretsRepository(db);

  async function usage(): Promise<KeyUsage[]> {
    const byKey = new Map<string, KeyUsage>();
    const entry = (id: string): KeyUsage => {
      let found = byKey.get(id);
      if (!found) {
        found = { id, seals: id === box.keyId, held: box.keyIds.includes(id), sealed: {}, total: 0 };
        byKey.set(id, found);
      }
      return found;
    };
    for (const id of box.keyIds) entry(id);
    for (const column of SEALED_COLUMNS) {
      for (const [id, n] of await secrets.usage(column)) {
        const key = entry(id);
        key.sealed[columnName(column)] = n;
        key.total += n;
      }
    }
    return [...byKey.values()];
  }

  /**
   * Re-seals, in batches of `batchSize`, every value another key sealed. Each value is replaced only
   * if unchanged since read, so it is safe while nodes run (every node must already hold the
   * sealing key); a second run resumes wherever the first stopped.
   */
  async function reseal(
    ctx: RequestContext,
    options: { batchSize?: number; onBatch?: (column: string, done: number) => void } = {},
  ): Promise<ResealReport> {
    assertOperator(ctx);
    await assertEveryNodeHolds(db, box.keyId);
    const batchSize = options.batchSize ?? 500;
    const report: ResealReport = { resealed: 0, changedMeanwhile: 0, unreadable: [] };
    for (const column of SEALED_COLUMNS) {
      let done = 0;
      let after: string | null = null;
      for (;;) {
        const batch = await secrets.notSealedBy(column, box.keyId, after, batchSize);
        if (batch.length === 0) break;
        for (const value of batch) {
          const resealed = resealOne(column, value.rowKey, value.sealed);
          if (resealed === undefined)
            report.unreadable.push({ column: columnName(column), rowKey: value.rowKey });
          else if (await secrets.replace(column, value, resealed)) report.resealed++;
          else report.changedMeanwhile++;
        }
        done += batch.length;
        after = batch[batch.length - 1]!.rowKey;
        options.onBatch?.(columnName(column), done);
      }
    }
    await audit.recordNow(ctx, {
      tenantId: null,
      action: 'secrets.reseal',
      outcome: report.unreadable.length === 0 ? 'success' : 'failure',
      // Field names avoid "sealed", which the audit log's redaction takes for a secret.
      after: {
        keyId: box.keyId,
        reEncrypted: report.resealed,
        changedMeanwhile: report.changedMeanwhile,
        unreadable: report.unreadable.length,
      },
    });
    return report;
  }

  function resealOne(column: SealedColumn, rowKey: string, sealed: string): string | undefined {
    const context = sealingContext(column, rowKey);
    try {
      return box.seal(box.open(sealed, context), context);
    } catch {
      return undefined;
    }
  }

  /**
   * Whether key `id` may leave the ring: it must be held, must not be the sealing key, and no
   * value may still need it. Refuses with what still uses it; audits the retirement.
   */
  async function retire(ctx: RequestContext, id: string): Promise<void> {
    assertOperator(ctx);
    if (!box.keyIds.includes(id)) {
      throw new AppError(
        'secrets.key_unknown',
        { keyId: id, ring: box.keyIds },
        { message: `SECRETS_KEY holds no key ${id} (the ring holds ${box.keyIds.join(', ')})` },
      );
    }
    if (id === box.keyId) {
      throw new AppError(
        'secrets.key_in_use',
        { keyId: id },
        {
          message: `key ${id} seals new values: add a new first key (canopy secrets rotate) before retiring it`,
        },
      );
    }
    await assertNoNodeSealsWith(db, id);
    const still = (await usage()).find((k) => k.id === id);
    if (still && still.total > 0) {
      const where = Object.entries(still.sealed).map(([column, n]) => `${n} in ${column}`);
      throw new AppError(
        'secrets.key_in_use',
        { keyId: id, sealed: still.sealed },
        { message: `key ${id} still opens ${where.join(', ')}: run canopy secrets reseal first` },
      );
    }
    await audit.recordNow(ctx, { tenantId: null, action: 'secrets.retire', after: { keyId: id } });
  }

  /** Audits a key added to the ring (never the key itself). */
  async function recordRotation(ctx: RequestContext, added: string, where: 'file' | 'configuration') {
    assertOperator(ctx);
    await audit.recordNow(ctx, { tenantId: null, action: 'secrets.rotate', after: { keyId: added, where } });
  }

  /** The running nodes (PostgreSQL) and the ring each holds, by key id. */
  const nodes = () => liveNodes(db);

  return { usage, nodes, reseal, retire, recordRotation };
}

export type SecretsService = ReturnType<typeof createSecretsService>;

/**
 * At start (SEC-11): every key that sealed a stored value must be in the ring, and one value per
 * column and key must open. A wrong or incomplete ring fails the start, not the first sign-in.
 */
export async function verifySealedSecrets(db: Db, box: SecretBox): Promise<void> {
  const secrets = createSecretsRepository(db);
  for (const column of SEALED_COLUMNS) {
    for (const id of (await secrets.usage(column)).keys()) {
      if (!box.keyIds.includes(id)) {
        throw new Error(
          `SECRETS_KEY does not hold key ${id}, which sealed values in ${columnName(column)}; ` +
            'start with a ring that includes it (see docs/operating.md, "Keys")',
        );
      }
      const sample = await secrets.sample(column, id);
      if (!sample) continue;
      try {
        box.open(sample.sealed, sealingContext(column, sample.rowKey));
      } catch {
        throw new Error(
          `SECRETS_KEY key ${id} does not open ${columnName(column)} of ${sample.rowKey}; ` +
            'the stored value or the key is damaged',
        );
      }
    }
  }
}

/** The sealed columns the registry lists and the database holds, to find a forgotten one. */
export const sealedColumnsInSchema = (db: Db) => createSecretsRepository(db).sealedColumnsInSchema();
