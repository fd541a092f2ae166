import type { Knex } from 'knex';

// Invitations by email (INV-1…INV-4). The link carries a random token; only its SHA-256 is kept.
// Expiry is a timestamp compared at use, so "expired" is never a stored status. An invitation goes
// with the business group it invites to (ORG-8). At most one pending invitation per node and address:
// inviting the address again replaces the previous one. The accepting user is created in the same
// transaction that marks the invitation accepted, after it: that foreign key is checked at commit.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table invitations (
      id uuid primary key,
      tenant_id uuid not null,
      org_id uuid not null,
      email varchar(254) not null,
      roles jsonb not null default '[]'::jsonb check (jsonb_typeof(roles) = 'array'),
      token_hash varchar(64) not null check (token_hash ~ '^[0-9a-f]{64}$'),
      status varchar(16) not null default 'pending' check (status in ('pending', 'accepted', 'cancelled')),
      expires_at timestamptz not null,
      inviter_type varchar(16) not null check (inviter_type in ('user', 'app', 'operator')),
      inviter_id varchar(128) not null,
      accepted_user_id uuid,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      foreign key (tenant_id, org_id) references organizations (tenant_id, id) on delete cascade,
      foreign key (tenant_id, accepted_user_id) references users (tenant_id, id)
        on delete set null (accepted_user_id) deferrable initially deferred,
      check (status = 'accepted' or accepted_user_id is null)
    )`);
  await knex.raw(`create unique index invitations_token_hash on invitations (token_hash)`);
  await knex.raw(`
    create unique index invitations_pending_email
      on invitations (tenant_id, org_id, lower(email)) where status = 'pending'`);
  await knex.raw(
    `create index invitations_tenant_status on invitations (tenant_id, status, created_at desc)`,
  );
  await knex.raw(`create index invitations_org on invitations (tenant_id, org_id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table invitations');
}
