import type { Knex } from 'knex';

// Concurrent refresh (issue 12): how many seconds after a refresh token is rotated a second use of
// it counts as a concurrent duplicate (an app's workers refreshing at once) rather than a replay.
// 0 keeps strict reuse detection; 60 at most, so a stolen token's window stays short.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table apps
      add column refresh_token_reuse_seconds integer not null default 5
        constraint apps_refresh_token_reuse_seconds_range
          check (refresh_token_reuse_seconds between 0 and 60)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table apps drop column refresh_token_reuse_seconds');
}
