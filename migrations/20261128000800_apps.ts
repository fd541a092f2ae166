import type { Knex } from 'knex';

// Connected apps (APP-1, APP-2): the OAuth clients a tenant registers. Each belongs to one master
// org (tenant_id), whose users alone may sign in to it.
//
// client_id is unique across the installation. It must also never equal a client_credentials
// client_id, because the provider resolves both kinds from one namespace. Both tables draw their
// ids from newClientId() (128 random bits): a collision between any two of 2^32 ids has a chance
// near 2^-64, so a unique index on each table is the whole defence, and it is enough in practice.
//
// web and service apps are confidential: their secret is sealed with SECRETS_KEY, bound to the
// client ID ('apps:<client_id>'). spa and native apps are public clients (PKCE only) and have none.
// A rotation may keep the previous secret valid until previous_secret_expires_at (0 by default).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table apps (
      id uuid primary key,
      -- the master org the app belongs to (the foreign key below makes sure it is a master)
      tenant_id uuid not null,
      client_id varchar(64) not null,
      name varchar(255) not null check (char_length(btrim(name)) between 1 and 255),
      kind varchar(16) not null check (kind in ('web', 'spa', 'native', 'service')),
      -- exact redirect URIs, compared as strings by the provider; none for service apps
      redirect_uris jsonb not null default '[]'::jsonb check (jsonb_typeof(redirect_uris) = 'array'),
      post_logout_redirect_uris jsonb not null default '[]'::jsonb
        check (jsonb_typeof(post_logout_redirect_uris) = 'array'),
      -- first-party apps skip the consent page
      first_party boolean not null default false,
      -- service apps only: [{ "organizationId": <node of this tenant>, "permissions": [...] }],
      -- each applying to that node and every node below it
      grants jsonb not null default '[]'::jsonb check (jsonb_typeof(grants) = 'array'),
      secret_sealed text,
      previous_secret_sealed text,
      previous_secret_expires_at timestamptz,
      secret_rotated_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (tenant_id, id),
      -- a master org is the organization whose tenant is itself
      foreign key (tenant_id, tenant_id) references organizations (tenant_id, id),
      constraint apps_client_id_unique unique (client_id),
      check ((kind in ('web', 'service')) = (secret_sealed is not null)),
      check ((previous_secret_sealed is null) = (previous_secret_expires_at is null)),
      check (secret_sealed is not null or previous_secret_sealed is null),
      check (kind <> 'service' or (redirect_uris = '[]'::jsonb and post_logout_redirect_uris = '[]'::jsonb)),
      check (kind = 'service' or grants = '[]'::jsonb)
    )`);
  // Names are unique within a tenant regardless of case: the consent page and the audit log name apps.
  await knex.raw(`create unique index apps_name_unique on apps (tenant_id, lower(name))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table apps');
}
