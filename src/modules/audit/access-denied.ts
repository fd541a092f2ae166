import type { RequestContext } from '../../platform/context.ts';
import { isUuid } from '../../platform/errors/index.ts';
import type { AuditEntry } from './audit.service.ts';

/** Where an action was refused: an admin API route (its pattern, never the URL) or a CLI command. */
export type RefusedAt = { method: string; route: string } | { command: string };

/** The refusal as the error says it (an AppError's code and details). */
export interface Refusal {
  code: string;
  details?: Record<string, unknown> | undefined;
}

/** More than any real refusal names; bounds an entry whatever a service puts in its details. */
const MOST_MISSING = 50;

const permissionName = (value: unknown): value is string =>
  typeof value === 'string' && /^[a-z][a-z0-9_.-]{0,63}$/.test(value);

/** The permissions a refusal says are missing: names, or places with the names missing there. */
function missingOf(details: Record<string, unknown>): unknown[] | undefined {
  const listed = details.missingPermissions ?? details.missing;
  if (!Array.isArray(listed)) return undefined;
  return listed.slice(0, MOST_MISSING).flatMap((item: unknown): unknown[] => {
    if (permissionName(item)) return [item];
    if (item === null || typeof item !== 'object') return [];
    const place = item as Record<string, unknown>;
    const names = Array.isArray(place.missingPermissions) ? place.missingPermissions : [];
    return [
      {
        ...(isUuid(place.organizationId) ? { organizationId: place.organizationId } : {}),
        ...(isUuid(place.environmentId) ? { environmentId: place.environmentId } : {}),
        missingPermissions: names.filter(permissionName).slice(0, MOST_MISSING),
      },
    ];
  });
}

/**
 * SEC-12: the `access.denied` entry of an action refused with a 403, in the caller's tenant (the
 * operator's refusals have none: installation-level). Only what the refusal says is missing, and
 * where; never the request's body. Undefined for anonymous callers, who are not audited.
 */
export function accessDeniedEntry(
  ctx: RequestContext,
  at: RefusedAt,
  refusal: Refusal,
  target?: { type: string; id: string },
): AuditEntry | undefined {
  const { actor } = ctx;
  if (actor.kind === 'anonymous') return undefined;
  const tenantId = actor.kind === 'operator' ? null : actor.tenantId;
  const details = refusal.details ?? {};
  const missing = missingOf(details);
  const organizationId = isUuid(details.organizationId) ? details.organizationId : undefined;
  const environmentId = isUuid(details.environmentId) ? details.environmentId : undefined;
  return {
    tenantId,
    // The node refused on, so that auditors of that node see it (AUD-2); the master otherwise.
    orgId: tenantId === null ? null : (organizationId ?? tenantId),
    action: 'access.denied',
    outcome: 'failure',
    ...(target ? { target } : {}),
    after: {
      ...at,
      code: refusal.code,
      ...(permissionName(details.permission) ? { permission: details.permission } : {}),
      ...(missing ? { missing } : {}),
      ...(organizationId ? { organizationId } : {}),
      ...(environmentId ? { environmentId } : {}),
    },
  };
}
