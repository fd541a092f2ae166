import type { Knex } from 'knex';

// Placeholder while issue 4 is built: the owner of this table fills in up and down.
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
