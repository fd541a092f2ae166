import type { Container } from '../../src/container.ts';
import { SEALED_COLUMNS } from '../../src/modules/secrets/index.ts';
import type { SecretBox } from '../../src/platform/crypto/secret-box.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { signUpTenant } from './factories.ts';
import { oidcProvider } from './idp-fixtures.ts';

/** Every stored secret in clear, by `table.column:row`: what a key rotation must leave unchanged. */
export async function openAllSealed(db: Database['knex'], box: SecretBox): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const column of SEALED_COLUMNS) {
    const rows = await db(column.table).whereNotNull(column.column).select(column.key, column.column);
    for (const row of rows) {
      const key = String(row[column.key]);
      found.set(
        `${column.table}.${column.column}:${key}`,
        box.open(row[column.column], `${column.table}:${key}`),
      );
    }
  }
  return found;
}

/**
 * A value in every sealed column, made by the services themselves: credentials (sign-up, and a
 * rotated one with its previous secret), a web app's secret and its previous one, an upstream
 * OIDC provider's secret; the container made the signing keys and the installation key.
 */
export async function fillSealedColumns(c: Container): Promise<void> {
  const t = await signUpTenant(c);
  const { app } = await c.apps.create(t.owner, t.tenantId, {
    kind: 'web',
    name: 'Portal',
    redirectUris: ['https://portal.example/cb'],
  });
  await c.apps.rotateSecret(t.owner, t.tenantId, app.id, { graceHours: 1 });
  await c.credentials.rotateEnvironmentSecret(
    t.owner,
    t.tenantId,
    { orgId: t.tenantId, environmentId: t.environments[0]!.id },
    1,
  );
  await c.identityProviders.create(t.owner, t.tenantId, oidcProvider('Upstream'));
}
