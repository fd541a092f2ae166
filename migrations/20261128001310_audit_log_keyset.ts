import type { Knex } from 'knex';

// AUD-2 reads a tenant's entries newest first by id (keyset paging), the whole tenant for its master
// and a subtree's nodes otherwise: both walk an index in id order instead of sorting the tenant.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index audit_log_tenant_id on audit_log (tenant_id, id desc)');
  await knex.raw('create index audit_log_tenant_org_id on audit_log (tenant_id, org_id, id desc)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index audit_log_tenant_org_id');
  await knex.raw('drop index audit_log_tenant_id');
}
