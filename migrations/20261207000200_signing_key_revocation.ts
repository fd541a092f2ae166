import type { Knex } from 'knex';

// SEC-11: a signing key can be withdrawn at once. A `revoked` key is never published or used again:
// its private half is erased, revoked_at says when, and retire_at is when it stopped being
// published (the revocation, or its earlier retirement), so `active` alone still has no retire_at.
// The constraint names are the ones PostgreSQL gave the unnamed checks of 20261128000900.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table signing_keys
      add column revoked_at timestamptz,
      drop constraint signing_keys_status_check,
      drop constraint signing_keys_check1,
      add constraint signing_keys_status_check
        check (status in ('active', 'retiring', 'retired', 'revoked')),
      add constraint signing_keys_private_kept
        check (status in ('retired', 'revoked') or private_jwk_sealed is not null),
      add constraint signing_keys_revoked_erased
        check (status <> 'revoked' or private_jwk_sealed is null),
      add constraint signing_keys_revoked_at
        check ((status = 'revoked') = (revoked_at is not null))`);
}

// Revoked keys become retired ones: neither is published, and both have lost their private half.
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table signing_keys
      drop constraint signing_keys_revoked_at,
      drop constraint signing_keys_revoked_erased,
      drop constraint signing_keys_private_kept,
      drop constraint signing_keys_status_check`);
  await knex.raw(`update signing_keys set status = 'retired' where status = 'revoked'`);
  await knex.raw(`
    alter table signing_keys
      drop column revoked_at,
      add constraint signing_keys_status_check check (status in ('active', 'retiring', 'retired')),
      add constraint signing_keys_check1 check ((status = 'retired') or (private_jwk_sealed is not null))`);
}
