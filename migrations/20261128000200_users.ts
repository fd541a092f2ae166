import type { Knex } from 'knex';

// Users belong to one master org. Usernames stay taken after a (soft) deletion.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table users (
      id uuid primary key,
      tenant_id uuid not null references organizations (id),
      username varchar(128) not null,
      email varchar(254) not null,
      name varchar(255) not null,
      password_hash text,
      status varchar(16) not null default 'active' check (status in ('active', 'disabled', 'deleted')),
      deleted_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (tenant_id, id),
      check ((status = 'deleted') = (deleted_at is not null))
    )`);
  await knex.raw(`create unique index users_username_unique on users (tenant_id, lower(username))`);
  // The owner is a user of the same tenant. Deferred: sign-up inserts the org and its owner in one transaction.
  await knex.raw(`
    alter table organizations add constraint organizations_owner_fk
      foreign key (tenant_id, owner_user_id) references users (tenant_id, id) deferrable initially deferred`);
  await knex.raw(`create index organizations_owner on organizations (tenant_id, owner_user_id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table organizations drop constraint organizations_owner_fk');
  await knex.raw('drop index organizations_owner');
  await knex.raw('drop table users');
}
