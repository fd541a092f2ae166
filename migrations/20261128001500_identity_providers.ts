import type { Knex } from 'knex';

// Federation (FED-1, FED-3, FED-4). Providers belong to a master org and serve its whole tree.
// `config` holds non-secret settings only; an OIDC client secret is sealed with the secret box
// (CRED-6), bound to the provider's id. Deleting a provider removes its group mappings and its
// federated identities, never users: those users stay (and keep any roles) but can no longer sign
// in through it. Mapping-granted role assignments are marked `source = 'idp:<providerId>'` on
// role_assignments (the existing column); they are not removed with the provider.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table identity_providers (
      id uuid primary key,
      tenant_id uuid not null,
      kind varchar(8) not null check (kind in ('saml', 'oidc')),
      name varchar(255) not null check (char_length(btrim(name)) between 1 and 255),
      enabled boolean not null default true,
      config jsonb not null check (jsonb_typeof(config) = 'object'),
      secret_sealed text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (tenant_id, id),
      foreign key (tenant_id, tenant_id) references organizations (tenant_id, id),
      check (kind = 'oidc' or secret_sealed is null)
    )`);
  await knex.raw(
    `create unique index identity_providers_name_unique on identity_providers (tenant_id, lower(name))`,
  );

  // FED-3: a federated user is found by (provider, subject), never by email; one identity per
  // provider and user.
  await knex.raw(`
    create table federated_identities (
      tenant_id uuid not null,
      provider_id uuid not null,
      subject varchar(1024) not null check (char_length(subject) > 0),
      user_id uuid not null,
      created_at timestamptz not null,
      last_sign_in_at timestamptz,
      primary key (tenant_id, provider_id, subject),
      unique (tenant_id, provider_id, user_id),
      foreign key (tenant_id, provider_id) references identity_providers (tenant_id, id) on delete cascade,
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
    )`);
  await knex.raw(`create index federated_identities_user on federated_identities (tenant_id, user_id)`);

  // FED-4: provider group (exact string) → role on a node, optionally one environment of it. They go
  // with their provider, their role and their node.
  await knex.raw(`
    create table group_mappings (
      id uuid primary key,
      tenant_id uuid not null,
      provider_id uuid not null,
      group_name varchar(512) not null check (char_length(group_name) > 0),
      role_id uuid not null references roles (id) on delete cascade,
      org_id uuid not null,
      environment_id uuid,
      inherit boolean not null,
      created_at timestamptz not null,
      unique (tenant_id, id),
      foreign key (tenant_id, provider_id) references identity_providers (tenant_id, id) on delete cascade,
      foreign key (tenant_id, org_id) references organizations (tenant_id, id) on delete cascade,
      foreign key (org_id, environment_id) references environments (org_id, id) on delete cascade,
      check (environment_id is null or not inherit)
    )`);
  await knex.raw(`
    create unique index group_mappings_unique
      on group_mappings (tenant_id, provider_id, group_name, role_id, org_id, environment_id) nulls not distinct`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table group_mappings');
  await knex.raw('drop table federated_identities');
  await knex.raw('drop table identity_providers');
}
