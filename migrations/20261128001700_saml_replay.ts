import type { Knex } from 'knex';

// FED-6 without Redis: outstanding SAML AuthnRequest ids and accepted assertion ids, shared by
// every node through the database. The key carries its kind and provider (`request:<provider>:<id>`,
// `assertion:<provider>:<id>`); a row past `expires_at` is invisible and swept later.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table saml_cache (
      key varchar(600) primary key,
      value text not null,
      expires_at timestamptz not null
    )`);
  await knex.raw('create index saml_cache_expiry on saml_cache (expires_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table saml_cache');
}
