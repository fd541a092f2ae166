// Inserting the data set: plain multi-row INSERTs in one transaction, each phase timed. The service
// layer is not used.
import type { Knex } from 'knex';
import { formatCount, seededRandom, timed } from '../stats.ts';
import type { Dataset } from './dataset.ts';
import { ASSIGNMENTS, ENVIRONMENT_TYPES, INSERT_BATCH, SEED, USERS_WITH_ROLES } from './parameters.ts';

type SqlValue = string | number | boolean | null;

function literal(value: SqlValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  return String(value);
}

/** Multi-row INSERTs with literal values (generated here, never user input): the fastest path on both backends. */
async function insertRows(
  tx: Knex.Transaction,
  tableName: string,
  columns: readonly string[],
  count: number,
  row: (i: number) => SqlValue[],
): Promise<void> {
  for (let start = 0; start < count; start += INSERT_BATCH) {
    const values: string[] = [];
    for (let i = start; i < Math.min(count, start + INSERT_BATCH); i++)
      values.push(`(${row(i).map(literal).join(',')})`);
    await tx.raw(`insert into ${tableName} (${columns.join(',')}) values ${values.join(',')}`);
  }
}

export async function seed(knex: Knex, data: Dataset): Promise<Array<[string, string, number]>> {
  const at = new Date().toISOString();
  const phases: Array<[string, string, number]> = [];
  const phase = async (label: string, rows: number, work: () => Promise<void>) => {
    const { ms } = await timed(work);
    phases.push([label, formatCount(rows), ms]);
  };
  const { tenantId, nodeIds, userIds, envIds, roles } = data;
  await knex.transaction(async (tx) => {
    // The master's owner is user 0, inserted next: that foreign key is deferred to the commit.
    await phase('master organization + directory version', 2, async () => {
      await insertRows(
        tx,
        'organizations',
        [
          'id',
          'tenant_id',
          'parent_id',
          'name',
          'domain',
          'owner_user_id',
          'create_sub_orgs',
          'create_environments',
          'session_timeout_minutes',
          'session_max_minutes',
          'created_at',
          'updated_at',
        ],
        1,
        () => [
          tenantId,
          tenantId,
          null,
          'Bench Corp',
          'bench-corp',
          userIds[0]!,
          true,
          true,
          60,
          720,
          at,
          at,
        ],
      );
      await tx.raw(`insert into authz_versions (tenant_id, version) values (${literal(tenantId)}, 1)`);
    });
    await phase('users', userIds.length, () =>
      insertRows(
        tx,
        'users',
        ['id', 'tenant_id', 'username', 'email', 'name', 'status', 'created_at', 'updated_at'],
        userIds.length,
        (i) => [userIds[i]!, tenantId, `user${i}`, `user${i}@bench.example`, `User ${i}`, 'active', at, at],
      ),
    );
    await phase('business groups', nodeIds.length - 1, () =>
      insertRows(
        tx,
        'organizations',
        [
          'id',
          'tenant_id',
          'parent_id',
          'name',
          'owner_user_id',
          'create_sub_orgs',
          'create_environments',
          'created_at',
          'updated_at',
        ],
        nodeIds.length - 1,
        (i) => {
          const k = i + 1;
          return [
            nodeIds[k]!,
            tenantId,
            nodeIds[data.parentOf[k]!]!,
            `Group ${k}`,
            userIds[k % USERS_WITH_ROLES]!,
            true,
            data.envsOfNode[k]!.length > 0,
            at,
            at,
          ];
        },
      ),
    );
    await phase('environments', envIds.length, () =>
      insertRows(
        tx,
        'environments',
        ['id', 'tenant_id', 'org_id', 'name', 'type', 'created_at', 'updated_at'],
        envIds.length,
        (i) => [
          envIds[i]!,
          tenantId,
          nodeIds[data.envNode[i]!]!,
          `env-${i}`,
          ENVIRONMENT_TYPES[i % ENVIRONMENT_TYPES.length]!,
          at,
          at,
        ],
      ),
    );
    const custom = roles.filter((r) => r.row);
    await phase('custom roles', custom.length, () =>
      insertRows(
        tx,
        'roles',
        ['id', 'tenant_id', 'name', 'permissions', 'created_at', 'updated_at'],
        custom.length,
        (i) => [
          custom[i]!.id,
          tenantId,
          custom[i]!.row!.name,
          JSON.stringify(custom[i]!.row!.permissions),
          at,
          at,
        ],
      ),
    );
    const a = data.assignments;
    const random = seededRandom(SEED + 1);
    await phase('role assignments', ASSIGNMENTS, () =>
      insertRows(
        tx,
        'role_assignments',
        ['id', 'tenant_id', 'user_id', 'role_id', 'org_id', 'environment_id', 'inherit', 'created_at'],
        ASSIGNMENTS,
        (i) => [
          random.uuid(),
          tenantId,
          userIds[a.user[i]!]!,
          roles[a.role[i]!]!.id,
          nodeIds[a.node[i]!]!,
          a.env[i]! >= 0 ? envIds[a.env[i]!]! : null,
          a.inherit[i] === 1,
          at,
        ],
      ),
    );
  });
  await phase('analyze', 0, async () => {
    await knex.raw('analyze');
  });
  return phases;
}
