import type { Knex } from 'knex';

// REL-6, nothing grows forever.
// 1. Indexes for housekeeping's sweeps (src/housekeeping-tasks.ts), so each batch finds its rows
//    without reading the table: audit entries by the time the database recorded them, daily usage
//    by day (the key leads with the tenant), invitations by expiry, sessions by sign-in time (the
//    sweep also reads last_seen_at, already indexed).
// 2. A one-time cleanup of references to deleted things, which deletes now clean in their own
//    transaction: service apps' grants on business groups deleted since, and role assignments
//    made by the group mappings of identity providers deleted since (20261128001500 left them).
//    An assignment an owner may need (Organization Administrators of a user owning a node at or
//    below it, ORG-5) stays, as `manual`. Every change is audited as the system's, and the
//    tenants whose assignments changed get a new authorizer version.
const ACTOR = 'migration:20261207000700_housekeeping';

const INDEXES: Array<[name: string, definition: string]> = [
  ['audit_log_recorded_at', 'audit_log (recorded_at)'],
  ['usage_daily_day', 'usage_daily (day)'],
  ['invitations_expiry', 'invitations (expires_at)'],
  ['sessions_login', 'sessions (login_at)'],
];

export async function up(knex: Knex): Promise<void> {
  for (const [name, definition] of INDEXES) await knex.raw(`create index ${name} on ${definition}`);
  await dropGrantsOnDeletedNodes(knex);
  // Sources name providers in lower case from now on (an id from a URL may come upper-cased).
  await knex.raw(
    `update role_assignments set source = lower(source) where source like 'idp:%' and source <> lower(source)`,
  );
  await retireAssignmentsOfDeletedProviders(knex);
}

export async function down(knex: Knex): Promise<void> {
  // The cleanup is not undone: it removed references to things that no longer exist.
  for (const [name] of [...INDEXES].reverse()) await knex.raw(`drop index ${name}`);
}

function audit(
  knex: Knex,
  entry: {
    tenantId: string;
    orgId: string;
    action: string;
    target: [string, string];
    before: object;
    after?: object;
  },
) {
  return knex('audit_log').insert({
    tenant_id: entry.tenantId,
    org_id: entry.orgId,
    occurred_at: knex.fn.now(),
    actor_type: 'system',
    actor_id: ACTOR,
    action: entry.action,
    target_type: entry.target[0],
    target_id: entry.target[1],
    before: JSON.stringify(entry.before),
    after: entry.after === undefined ? null : JSON.stringify(entry.after),
  });
}

async function dropGrantsOnDeletedNodes(knex: Knex): Promise<void> {
  const { rows } = (await knex.raw(`
    select a.id, a.tenant_id, a.name, a.grants,
           coalesce((select jsonb_agg(g order by n) from jsonb_array_elements(a.grants) with ordinality as e(g, n)
                      where exists (select 1 from organizations o
                                     where o.tenant_id = a.tenant_id and o.id::text = lower(g->>'organizationId'))),
                    '[]'::jsonb) as kept
      from apps a
     where a.kind = 'service' and jsonb_array_length(a.grants) > 0`)) as {
    rows: Array<{ id: string; tenant_id: string; name: string; grants: unknown[]; kept: unknown[] }>;
  };
  for (const app of rows.filter((r) => r.kept.length !== r.grants.length)) {
    await knex('apps')
      .where({ id: app.id })
      .update({ grants: JSON.stringify(app.kept), updated_at: knex.fn.now() });
    await audit(knex, {
      tenantId: app.tenant_id,
      orgId: app.tenant_id,
      action: 'app.update',
      target: ['app', app.id],
      before: { name: app.name, grants: app.grants },
      after: { name: app.name, grants: app.kept, cause: { deletedOrganizations: 'before this migration' } },
    });
  }
}

async function retireAssignmentsOfDeletedProviders(knex: Knex): Promise<void> {
  const { rows } = (await knex.raw(`
    select ra.id, ra.tenant_id, ra.user_id, ra.role_id, ra.org_id, ra.environment_id, ra.inherit, ra.source,
           ra.created_at,
           r.built_in_key = 'organization-administrators' and ra.environment_id is null and exists (
             with recursive subtree (id) as (
               select ra.org_id
               union all
               select o.id from organizations o join subtree s on o.parent_id = s.id
             )
             select 1 from organizations o join subtree s on o.id = s.id where o.owner_user_id = ra.user_id
           ) as owner_needs
      from role_assignments ra
      join roles r on r.id = ra.role_id
     where ra.source like 'idp:%'
       and not exists (select 1 from identity_providers p
                        where p.tenant_id = ra.tenant_id and p.id::text = lower(substring(ra.source from 5)))
     order by ra.tenant_id, ra.created_at, ra.id`)) as {
    rows: Array<{
      id: string;
      tenant_id: string;
      user_id: string;
      role_id: string;
      org_id: string;
      environment_id: string | null;
      inherit: boolean;
      source: string;
      created_at: Date;
      owner_needs: boolean;
    }>;
  };
  for (const a of rows) {
    // As the application audits an assignment (RoleAssignment).
    const before = {
      id: a.id,
      userId: a.user_id,
      roleId: a.role_id,
      organizationId: a.org_id,
      environmentId: a.environment_id,
      inherit: a.inherit,
      source: a.source,
      createdAt: a.created_at,
    };
    const target: [string, string] = ['role_assignment', a.id];
    if (a.owner_needs) {
      await knex('role_assignments').where({ id: a.id }).update({ source: 'manual' });
      const after = {
        ...before,
        source: 'manual',
        reason: 'owner_protected',
        cause: { sourceRemoved: a.source },
      };
      await audit(knex, {
        tenantId: a.tenant_id,
        orgId: a.org_id,
        action: 'role_assignment.update',
        target,
        before,
        after,
      });
    } else {
      await knex('role_assignments').where({ id: a.id }).delete();
      await audit(knex, {
        tenantId: a.tenant_id,
        orgId: a.org_id,
        action: 'role_assignment.delete',
        target,
        before,
      });
    }
  }
  const tenants = [...new Set(rows.map((a) => a.tenant_id))];
  if (tenants.length > 0) await knex('authz_versions').whereIn('tenant_id', tenants).increment('version', 1);
}
