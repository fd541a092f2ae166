import type { Knex } from 'knex';

// Federated sign-in in flight (FED-2, FED-6, FED-7) when Redis is not configured: a flow record
// between the redirect to a provider and its answer (OIDC state, SAML RelayState), and the outcome
// between the answer and the interaction's finish. Each row is taken once (`delete … returning`)
// and lives minutes; `kind` namespaces the key so a record of one kind never serves as another.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table federation_flows (
      kind varchar(32) not null,
      id varchar(128) not null,
      payload jsonb not null,
      expires_at timestamptz not null,
      primary key (kind, id)
    )`);
  await knex.raw('create index federation_flows_expiry on federation_flows (expires_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table federation_flows');
}
