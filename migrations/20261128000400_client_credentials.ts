import type { Knex } from 'knex';

// One client ID and secret per org node (legacy) and per environment. Secrets are sealed with
// SECRETS_KEY; after a rotation the previous secret stays valid until previous_secret_expires_at.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table client_credentials (
      client_id varchar(64) primary key,
      tenant_id uuid not null,
      org_id uuid not null,
      environment_id uuid,
      secret_sealed text not null,
      previous_secret_sealed text,
      previous_secret_expires_at timestamptz,
      secret_rotated_at timestamptz,
      created_at timestamptz not null,
      foreign key (tenant_id, org_id) references organizations (tenant_id, id) on delete cascade,
      foreign key (org_id, environment_id) references environments (org_id, id) on delete cascade,
      check ((previous_secret_sealed is null) = (previous_secret_expires_at is null))
    )`);
  await knex.raw(
    `create unique index client_credentials_org_unique on client_credentials (org_id) where environment_id is null`,
  );
  await knex.raw(
    `create unique index client_credentials_environment_unique on client_credentials (environment_id) where environment_id is not null`,
  );
  await knex.raw(`create index client_credentials_tenant on client_credentials (tenant_id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table client_credentials');
}
