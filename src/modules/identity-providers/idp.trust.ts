import { isDeepStrictEqual } from 'node:util';
import type { RequestContext } from '../../platform/context.ts';
import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { AssignmentService, MissingPermissions, TenantIndex } from '../roles/index.ts';
import { createFederatedIdentityRepository } from './identity.repository.ts';
import { createIdpRepository } from './idp.repository.ts';
import type { IdpKind, OidcConfig, SamlConfig } from './idp.schema.ts';

/**
 * SEC-4: the settings that decide whose word the provider takes and what it reads from it. Whoever
 * answers at a changed anchor signs in as every linked user and receives every group mapping.
 * Each setting is classified here, so a new one cannot be added without deciding. The signature
 * policy, scopes and algorithms are not anchors: they never change whose signature is believed
 * (FED-6 keeps at least one signature required), only what the same upstream is asked for.
 */
const TRUST_ANCHORS: {
  saml: Record<keyof SamlConfig, boolean>;
  oidc: Record<keyof OidcConfig, boolean>;
} = {
  saml: {
    entityId: true,
    ssoUrl: true,
    signingCertificates: true,
    attributes: true,
    wantAssertionsSigned: false,
    wantResponseSigned: false,
    allowIdpInitiated: false,
    clockSkewSeconds: false,
  },
  oidc: {
    issuer: true,
    clientId: true,
    groupsClaim: true,
    usernameClaim: true,
    scopes: false,
    idTokenSigningAlgs: false,
  },
};

/**
 * The trust anchors a change touches, by field name: those among the settings it supplies (in
 * `config` or through a metadata document) whose value differs, so a form sending a setting
 * unchanged changes nothing. A client secret or a metadata document given is a change whatever it
 * holds: the secret is not opened to compare it.
 */
export function trustChanges(
  kind: IdpKind,
  before: SamlConfig | OidcConfig,
  after: SamlConfig | OidcConfig,
  patch: { supplied: readonly string[]; clientSecret?: string; metadataXml?: string },
): string[] {
  const anchors: Record<string, boolean> = TRUST_ANCHORS[kind];
  const value = (config: SamlConfig | OidcConfig, key: string) =>
    (config as unknown as Record<string, unknown>)[key];
  const changed = [...new Set(patch.supplied)]
    .filter((key) => anchors[key] === true && !isDeepStrictEqual(value(before, key), value(after, key)))
    .map((key) => `config.${key}`);
  if (patch.clientSecret !== undefined) changed.push('clientSecret');
  if (patch.metadataXml !== undefined) changed.push('metadataXml');
  return changed;
}

const place = (m: MissingPermissions) =>
  m.environmentId === undefined
    ? `organization ${m.organizationId}`
    : `environment ${m.environmentId} of organization ${m.organizationId}`;

/**
 * ROLE-5 applied to a provider's trust (SEC-4): the actor must hold everything its group mappings
 * grant and its linked users hold, where they hold it. Reads the mappings and links in the
 * caller's transaction, after the provider row is locked (mappings are added under that lock).
 */
export async function requireMayRetrust(
  tx: Tx,
  ctx: RequestContext,
  deps: { index: TenantIndex; assignments: Pick<AssignmentService, 'missingToConferInTx'> },
  providerId: string,
  changed: readonly string[],
): Promise<void> {
  const tenantId = deps.index.tenantId;
  const grants = await createIdpRepository(tx).listMappings(tenantId, providerId);
  const userIds = await createFederatedIdentityRepository(tx).linkedUserIds(tenantId, providerId);
  const missing = await deps.assignments.missingToConferInTx(tx, ctx, deps.index, { grants, userIds });
  if (missing.length === 0) return;
  throw new AppError(
    'identity_provider.privilege_escalation',
    { changedFields: changed, missing },
    {
      message:
        `Changing ${changed.join(', ')} lets whoever answers there sign in with this provider's group ` +
        `mappings and as its linked users, with permissions you do not hold: ${missing
          .map((m) => `${m.missingPermissions.join(', ')} on ${place(m)}`)
          .join('; ')}`,
    },
  );
}

/**
 * ROLE-5 applied to deleting a provider: the roles its group mappings granted are removed with it,
 * at once, so the actor must hold what those mappings grant, as removing each mapping would need.
 */
export async function requireMayRevokeMappings(
  tx: Tx,
  ctx: RequestContext,
  deps: { index: TenantIndex; assignments: Pick<AssignmentService, 'missingToConferInTx'> },
  providerId: string,
): Promise<void> {
  const grants = await createIdpRepository(tx).listMappings(deps.index.tenantId, providerId);
  const missing = await deps.assignments.missingToConferInTx(tx, ctx, deps.index, { grants, userIds: [] });
  if (missing.length === 0) return;
  throw new AppError(
    'role_assignment.privilege_escalation',
    { missing },
    {
      message:
        'Deleting this provider removes the roles its group mappings granted, with permissions you do not ' +
        `hold: ${missing.map((m) => `${m.missingPermissions.join(', ')} on ${place(m)}`).join('; ')}`,
    },
  );
}
