import type { Knex } from 'knex';

// Password sign-in throttling state (SESS-8) when Redis is not configured, and the fallback store
// when Redis fails: one counter per key (a failure counter per tenant + username, a lockout
// counter per tenant + username, a failure counter per source address), counting within a window
// that ends at expires_at. Keys are hashes (no usernames or addresses in clear), prefixed by the
// counter's kind. A row whose window has ended counts as absent and is swept from time to time.
// No tenant_id column on purpose: the per-address counter spans tenants, and every row is short-lived.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table sign_in_attempts (
      key varchar(128) primary key,
      points integer not null,
      expires_at timestamptz not null
    )`);
  await knex.raw(`create index sign_in_attempts_expires on sign_in_attempts (expires_at)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table sign_in_attempts');
}
