import type { Knex } from 'knex';

// The provider's signing keys, shared by every node. The private JWK is sealed with SECRETS_KEY,
// bound to its kid; the public half stays readable for listing. `active` keys sign (one per alg,
// enforced below); `retiring` keys are still published for verification until retire_at;
// `retired` keys are gone from the key set and their private half is erased.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table signing_keys (
      kid varchar(64) primary key,
      alg varchar(8) not null check (alg in ('ES256', 'RS256')),
      private_jwk_sealed text,
      public_jwk jsonb not null,
      status varchar(16) not null check (status in ('active', 'retiring', 'retired')),
      created_at timestamptz not null,
      retire_at timestamptz,
      check ((status = 'active') = (retire_at is null)),
      check ((status = 'retired') or (private_jwk_sealed is not null))
    )`);
  await knex.raw(`create unique index signing_keys_one_active on signing_keys (alg) where status = 'active'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table signing_keys');
}
