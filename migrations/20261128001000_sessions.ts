import type { Knex } from 'knex';

// The session registry: one row per signed-in provider session. The row is the truth about
// whether the session may still be used — its idle clock (last_seen_at) and its absolute start
// (login_at) are checked against the tenant's current timeouts at every use, on every node. An
// ended session keeps its row (ended_at) until the sweep, so a late save cannot bring it back.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table sessions (
      session_uid varchar(64) primary key,
      session_id varchar(64) not null,
      tenant_id uuid not null,
      user_id uuid not null,
      login_at timestamptz not null,
      last_seen_at timestamptz not null,
      ended_at timestamptz,
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
    )`);
  await knex.raw(`create index sessions_user on sessions (tenant_id, user_id)`);
  await knex.raw(`create index sessions_last_seen on sessions (last_seen_at)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table sessions');
}
