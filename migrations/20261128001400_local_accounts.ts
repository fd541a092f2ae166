import type { Knex } from 'knex';

// FED-5 / INV-4: whether a master org still creates local accounts (invitations). Meaningful on the
// master only; it is turned off together with identity providers (federation), read elsewhere.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table organizations add column local_accounts_enabled boolean not null default true`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table organizations drop column local_accounts_enabled');
}
