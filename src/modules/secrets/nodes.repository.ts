import type { Db } from '../../platform/db/database.ts';

export interface NodeRow {
  id: string;
  /** Host and process id, for the operator to recognise it. */
  label: string;
  sealingKeyId: string;
  keyIds: string[];
  /** Seconds since the node last said it runs (database time). */
  secondsAgo: number;
}

/** A node that has not refreshed its row for this long is taken for stopped. */
export const NODE_LIVENESS_SECONDS = 180;

/** The running nodes' rings (ids only): installation-wide, like the ring itself. */
export function createNodesRepository(db: Db) {
  return {
    async upsert(node: { id: string; label: string; sealingKeyId: string; keyIds: readonly string[] }) {
      await db('nodes')
        .insert({
          id: node.id,
          label: node.label.slice(0, 255),
          sealing_key_id: node.sealingKeyId,
          key_ids: node.keyIds.join(' '),
        })
        .onConflict('id')
        .merge({ seen_at: db.fn.now() });
    },

    async remove(id: string): Promise<void> {
      await db('nodes').where({ id }).delete();
    },

    /** Nodes seen within the liveness window, the most recently started first. */
    async live(): Promise<NodeRow[]> {
      const rows = (await db('nodes')
        .whereRaw(`seen_at > now() - make_interval(secs => ?)`, [NODE_LIVENESS_SECONDS])
        .orderBy('started_at', 'desc')
        .select(
          'id',
          'label',
          'sealing_key_id',
          'key_ids',
          db.raw('extract(epoch from now() - seen_at)::float8 as seconds_ago'),
        )) as Array<Record<string, unknown>>;
      return rows.map((r) => ({
        id: r.id as string,
        label: r.label as string,
        sealingKeyId: r.sealing_key_id as string,
        keyIds: String(r.key_ids).split(' ').filter(Boolean),
        secondsAgo: Math.round(Number(r.seconds_ago)),
      }));
    },

    /**
     * Rows of nodes that stopped without saying so (a crash), past the liveness window; how many.
     * At a node's start, and by housekeeping (REL-6).
     */
    async forgetStale(): Promise<number> {
      return db('nodes')
        .whereRaw(`seen_at <= now() - make_interval(secs => ?)`, [NODE_LIVENESS_SECONDS])
        .delete();
    },
  };
}
