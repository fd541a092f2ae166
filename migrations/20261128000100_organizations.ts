import type { Knex } from 'knex';

// The organization tree. A master org is its own tenant (tenant_id = id, no parent); every business
// group points at a parent in the same tenant. Master-only settings are NULL on business groups.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table organizations (
      id uuid primary key,
      tenant_id uuid not null references organizations (id),
      parent_id uuid,
      name varchar(255) not null check (char_length(btrim(name)) between 1 and 255),
      domain varchar(63) check (domain ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$'),
      owner_user_id uuid not null,
      create_sub_orgs boolean not null default false,
      create_environments boolean not null default false,
      properties jsonb not null default '{}'::jsonb,
      session_timeout_minutes integer check (session_timeout_minutes between 15 and 180),
      session_max_minutes integer check (session_max_minutes between 15 and 43200),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (tenant_id, id),
      foreign key (tenant_id, parent_id) references organizations (tenant_id, id),
      check ((parent_id is null) = (id = tenant_id)),
      check ((parent_id is null) = (domain is not null)),
      check ((parent_id is null) = (session_timeout_minutes is not null)),
      check ((parent_id is null) = (session_max_minutes is not null))
    )`);
  await knex.raw(
    `create unique index organizations_domain_unique on organizations (lower(domain)) where domain is not null`,
  );
  await knex.raw(
    `create unique index organizations_sibling_name_unique on organizations (parent_id, lower(name)) where parent_id is not null`,
  );
  await knex.raw(`create index organizations_tenant on organizations (tenant_id)`);

  // One row per tenant; bumped inside every transaction that changes what the authorizer knows.
  await knex.raw(`
    create table authz_versions (
      tenant_id uuid primary key references organizations (id),
      version bigint not null default 0
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table authz_versions');
  await knex.raw('drop table organizations');
}
