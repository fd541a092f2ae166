import type { Knex } from 'knex';

// Append-only record of changes, credential reads and sign-ins. No foreign keys: entries outlive
// the business groups and users they describe.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table audit_log (
      id bigint generated always as identity primary key,
      tenant_id uuid,
      org_id uuid,
      occurred_at timestamptz not null,
      actor_type varchar(16) not null check (actor_type in ('user', 'app', 'operator', 'anonymous', 'system')),
      actor_id varchar(128),
      action varchar(64) not null,
      target_type varchar(64),
      target_id varchar(128),
      outcome varchar(16) not null default 'success' check (outcome in ('success', 'failure')),
      before jsonb,
      after jsonb,
      request_id varchar(128)
    )`);
  await knex.raw(`create index audit_log_tenant_time on audit_log (tenant_id, occurred_at desc, id desc)`);
  await knex.raw(`create index audit_log_org_time on audit_log (org_id, occurred_at desc, id desc)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table audit_log');
}
