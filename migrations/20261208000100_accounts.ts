import type { Knex } from 'knex';

// Accounts (ACC-1…ACC-5).
// - The master's password minimum (ACC-4; null: the default of 12).
// - Whether a user's email is verified (ACC-3), and the moment before which every token issued to
//   them is dead (ACC-1: a reset ends every token, including those bound to no session).
// - Single-use links (password reset, email verification): only the SHA-256 of the link's secret.
// - What a user sees of their sessions (ACC-5): a public id (the session uid stays internal), the
//   browser, a coarse source network and the apps signed in through it — with the grant each app
//   holds (client id → grant id), so that ending the session revokes them from this row, whatever
//   became of the provider's stored session (ACC-2, ACC-5).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table organizations add column password_min_length smallint
      check (password_min_length between 8 and 64)`);
  await knex.raw(`alter table users add column email_verified boolean not null default false`);
  await knex.raw(`alter table users add column tokens_valid_after timestamptz`);
  await knex.raw(`
    create table account_tokens (
      token_hash varchar(64) primary key,
      tenant_id uuid not null,
      user_id uuid not null,
      purpose varchar(24) not null check (purpose in ('password_reset', 'email_verification')),
      email varchar(254),
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null,
      foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
    )`);
  await knex.raw(`create index account_tokens_user on account_tokens (tenant_id, user_id, purpose)`);
  await knex.raw(`create index account_tokens_expiry on account_tokens (expires_at)`);
  await knex.raw(`alter table sessions add column public_id uuid not null default gen_random_uuid()`);
  await knex.raw(`create unique index sessions_public_id on sessions (public_id)`);
  await knex.raw(`alter table sessions add column user_agent varchar(256)`);
  await knex.raw(`alter table sessions add column source_network varchar(64)`);
  await knex.raw(`alter table sessions add column authorizations jsonb not null default '{}'`);
}

export async function down(knex: Knex): Promise<void> {
  for (const column of ['authorizations', 'source_network', 'user_agent', 'public_id'])
    await knex.raw(`alter table sessions drop column ${column}`);
  await knex.raw('drop table account_tokens');
  await knex.raw('alter table users drop column tokens_valid_after');
  await knex.raw('alter table users drop column email_verified');
  await knex.raw('alter table organizations drop column password_min_length');
}
