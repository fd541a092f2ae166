import type { Knex } from 'knex';
import { changes, type Snapshot, snapshot } from './db-snapshot.ts';

/** The database as of a moment: its transaction-id snapshot (cheap), and its full snapshot. */
interface Seen {
  /** `pg_current_snapshot()`: unchanged only if no transaction that writes began or ended since. */
  transactions: string;
  tables: Snapshot;
}

async function transactionsNow(knex: Knex): Promise<string> {
  const { rows } = (await knex.raw('select pg_current_snapshot()::text as s')) as { rows: { s: string }[] };
  return rows[0]!.s;
}

async function look(knex: Knex): Promise<Seen> {
  // In this order: a write between the two shows in the next look's transactions, never lost.
  const transactions = await transactionsNow(knex);
  return { transactions, tables: await snapshot(knex) };
}

/**
 * `watchWrites` for a file that sends one request after another (the fuzz, the isolation matrix),
 * at a fraction of its cost: the look after a request is the look before the next, and a request
 * during which no transaction that writes began or ended (PostgreSQL's transaction snapshot did
 * not move) changed no row, so the tables are not read again. On the embedded database a full
 * snapshot costs more than the request. Call `forget()` when something else may have written.
 */
export function writeWatcher(knex: Knex) {
  let last: Seen | undefined;
  return {
    async watch<T>(
      act: () => Promise<T>,
      ignoreGroups: readonly string[] = [],
    ): Promise<{ result: T; changed: string }> {
      const before = last ?? (await look(knex));
      last = undefined; // should `act` throw, what it left is unknown
      const result = await act();
      const transactions = await transactionsNow(knex);
      const after = transactions === before.transactions ? before : await look(knex);
      last = after;
      return { result, changed: changes(before.tables, after.tables, ignoreGroups) };
    },
    /** Something other than a watched request may have written: the next one looks afresh. */
    forget(): void {
      last = undefined;
    },
  };
}
