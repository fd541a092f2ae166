import type { Knex } from 'knex';

// ANL-1: usage per day, one row per (tenant, day, node, environment, client, metric). Counters are
// added to by batched upserts (`on conflict … do update set count = count + excluded.count`), so the
// key treats NULLs as equal (PostgreSQL 15+). The key leads with (tenant_id, day): the range query of
// the analytics endpoint reads one tenant's days from it. `count` is not indexed, so increments stay
// HOT updates. No foreign keys: the counts of a deleted business group still add up on its master.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table usage_daily (
      tenant_id uuid not null,
      org_id uuid not null,
      environment_id uuid,
      client_id varchar(128),
      day date not null,
      metric varchar(32) not null
        check (metric in ('sign_in_success', 'sign_in_failure', 'token_issued', 'introspection')),
      count bigint not null check (count >= 0),
      constraint usage_daily_key
        unique nulls not distinct (tenant_id, day, org_id, environment_id, client_id, metric)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table usage_daily');
}
