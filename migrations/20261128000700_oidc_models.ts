import type { Knex } from 'knex';

// The OpenID provider's short-lived artefacts (sessions, interactions, grants, codes, tokens) when
// Redis is not configured: one row per artefact, its payload opaque to SQL. The columns beside the
// payload are the ones the provider looks artefacts up by (session uid, device user code, grant id)
// and the ones this store enforces itself: expiry (rows past it are invisible, then swept) and
// one-time consumption (set once, by a conditional update). Client metadata is never stored here.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table oidc_models (
      model varchar(40) not null,
      id varchar(255) not null,
      payload jsonb not null,
      grant_id varchar(255),
      user_code varchar(255),
      uid varchar(255),
      expires_at timestamptz,
      consumed_at timestamptz,
      primary key (model, id)
    )`);
  await knex.raw('create index oidc_models_uid on oidc_models (model, uid) where uid is not null');
  await knex.raw('create index oidc_models_grant on oidc_models (grant_id) where grant_id is not null');
  await knex.raw(
    'create index oidc_models_user_code on oidc_models (model, user_code) where user_code is not null',
  );
  await knex.raw('create index oidc_models_expiry on oidc_models (expires_at) where expires_at is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table oidc_models');
}
