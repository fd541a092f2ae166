import type { Knex } from 'knex';

// Roles (built-in rows have no tenant and a stable key) and their assignments to users on org
// nodes, optionally narrowed to one environment of that node.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table roles (
      id uuid primary key,
      tenant_id uuid references organizations (id),
      built_in_key varchar(64) unique,
      name varchar(128) not null check (char_length(btrim(name)) between 1 and 128),
      description varchar(1024) not null default '',
      permissions jsonb not null default '[]'::jsonb,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check ((tenant_id is null) = (built_in_key is not null))
    )`);
  await knex.raw(
    `create unique index roles_custom_name_unique on roles (tenant_id, lower(name)) where tenant_id is not null`,
  );

  await knex.raw(`
    create table role_assignments (
      id uuid primary key,
      tenant_id uuid not null,
      user_id uuid not null,
      role_id uuid not null references roles (id),
      org_id uuid not null,
      environment_id uuid,
      inherit boolean not null,
      source varchar(64) not null default 'manual',
      created_at timestamptz not null,
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade,
      foreign key (tenant_id, org_id) references organizations (tenant_id, id) on delete cascade,
      foreign key (org_id, environment_id) references environments (org_id, id) on delete cascade,
      check (environment_id is null or not inherit)
    )`);
  await knex.raw(`
    create unique index role_assignments_unique
      on role_assignments (user_id, role_id, org_id, environment_id) nulls not distinct`);
  await knex.raw(`create index role_assignments_tenant on role_assignments (tenant_id)`);
  await knex.raw(`create index role_assignments_org on role_assignments (org_id)`);
  await knex.raw(`create index role_assignments_role on role_assignments (role_id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table role_assignments');
  await knex.raw('drop table roles');
}
