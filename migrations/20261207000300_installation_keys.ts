import type { Knex } from 'knex';

// Random keys of the installation itself, made once at the first start and never rotated: what they
// key must stay comparable for as long as it is kept (the audit log's username hashes, the sign-in
// throttle's counter keys), across SECRETS_KEY rotations and on every node. Each is sealed with the
// SECRETS_KEY ring like every other secret (context `installation_keys:<name>`), so `canopy secrets
// reseal` re-seals it and a rotation leaves its value unchanged.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table installation_keys (
      name varchar(64) primary key,
      key_sealed text not null,
      created_at timestamptz not null
    )`);
  // The throttle's counters were keyed by an unkeyed SHA-256 of what was typed as the username
  // (SEC-12): nothing finds them under the keyed names, so they go now rather than in a day.
  await knex.raw('delete from sign_in_attempts');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table installation_keys');
}
