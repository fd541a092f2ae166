import type { Knex } from 'knex';

// Deployment targets inside an org node. The type is fixed at creation.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table environments (
      id uuid primary key,
      tenant_id uuid not null,
      org_id uuid not null,
      name varchar(255) not null check (char_length(btrim(name)) between 1 and 255),
      type varchar(16) not null check (type in ('production', 'sandbox', 'design')),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (org_id, id),
      unique (tenant_id, id),
      foreign key (tenant_id, org_id) references organizations (tenant_id, id) on delete cascade
    )`);
  await knex.raw(`create unique index environments_name_unique on environments (org_id, lower(name))`);
  await knex.raw(`create index environments_tenant on environments (tenant_id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table environments');
}
