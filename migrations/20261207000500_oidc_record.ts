import type { Knex } from 'knex';

// REL-3: `oidc_models` is the record of every provider artefact, with Redis (when configured) only
// a cache in front of it. Every write stamps the row with a fresh `version` from one sequence, so
// versions only grow, even across a delete and a re-insert of the same id; the cache keeps the
// version of what it holds and refuses a refill older than what it has seen.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence oidc_models_version');
  await knex.raw(
    "alter table oidc_models add column version bigint not null default nextval('oidc_models_version')",
  );
  await knex.raw('alter sequence oidc_models_version owned by oidc_models.version');
}

export async function down(knex: Knex): Promise<void> {
  // Dropping the column drops the sequence it owns.
  await knex.raw('alter table oidc_models drop column version');
}
