import type { Knex } from 'knex';

// SEC-11: the running nodes and the SECRETS_KEY ring each holds (key ids only, never keys), so that
// `canopy secrets reseal`, `retire` and signing-key changes can refuse while a node would be left
// unable to open what they seal. Each node refreshes its row every minute and deletes it when it
// stops; times are the database's own, so nodes' clocks do not matter.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table nodes (
      id uuid primary key,
      label varchar(255) not null,
      sealing_key_id varchar(16) not null,
      key_ids varchar(200) not null,
      started_at timestamptz not null default now(),
      seen_at timestamptz not null default now()
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table nodes');
}
