import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createContainer } from '../../src/container.ts';
import { BUILT_IN_ROLES } from '../../src/modules/roles/index.ts';
import { addUser, operator, signUpTenant } from '../helpers/factories.ts';
import { REDIRECT_URI } from '../helpers/sso-session.ts';
import { testConfig } from '../helpers/test-container.ts';

/** What the admin token of the cluster tests may do, on the master (and every node below). */
export const ADMIN_PERMISSIONS = [
  'users.manage',
  'roles.assign',
  'orgs.settings.manage',
  'orgs.create',
  'audit.view',
] as const;

export const AUDIT_VIEWER = BUILT_IN_ROLES.find((r) => r.name === 'Audit Viewer')!;

/** The installation's content before the nodes start: one tenant, its people and its apps. */
export interface World {
  tenantId: string;
  /** People of the tenant (password PASSWORD, no role), by username; the founder is `founder`. */
  users: Record<string, string>;
  /** A first-party web app (no consent page), redirecting to REDIRECT_URI. */
  webApp: { clientId: string; secret: string };
  /** A service app holding ADMIN_PERMISSIONS on the master: the admin API's caller. */
  serviceApp: { clientId: string; secret: string };
}

/**
 * Seeds the cluster's database as the operator's tools would, through the services of an
 * in-process container on the same database, Redis and SECRETS_KEY (like `canopy` on the command
 * line), before any node starts: the scenarios then use only HTTP, through the balancer.
 */
export async function seedWorld(options: {
  databaseUrl: string;
  redisUrl: string;
  secretsKey: string;
  publicUrl: string;
  usernames: readonly string[];
}): Promise<World> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-cluster-seed-'));
  const c = await createContainer(
    testConfig({
      server: { publicUrl: options.publicUrl },
      security: { secretsKey: options.secretsKey },
      storage: { databaseUrl: options.databaseUrl, redisUrl: options.redisUrl, dataDir },
    }),
  );
  try {
    const t = await signUpTenant(c);
    const users: Record<string, string> = { founder: t.user.id };
    for (const username of options.usernames) users[username] = (await addUser(c, t.tenantId, username)).id;
    const web = await c.apps.create(operator(), t.tenantId, {
      name: 'Cluster Web',
      kind: 'web',
      redirectUris: [REDIRECT_URI],
      firstParty: true,
    });
    const service = await c.apps.create(t.owner, t.tenantId, {
      name: 'Cluster Admin',
      kind: 'service',
      grants: [{ organizationId: t.tenantId, permissions: [...ADMIN_PERMISSIONS] }],
    });
    return {
      tenantId: t.tenantId,
      users,
      webApp: { clientId: web.app.clientId, secret: web.clientSecret! },
      serviceApp: { clientId: service.app.clientId, secret: service.clientSecret! },
    };
  } finally {
    await c.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
