import type { Knex } from 'knex';

// REL-6 placeholder (housekeeping helper): replaced by the helper that owns it; empty until then.
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}
