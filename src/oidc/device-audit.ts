import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuditService } from '../modules/audit/index.ts';
import type { UserService } from '../modules/users/index.ts';
import type { RequestContext } from '../platform/context.ts';
import { deviceRequestOf } from './device-request.ts';
import { requestIdOf } from './provider-throttle.ts';
import type { TenantResolver } from './tenancy.ts';

export interface DeviceAuditDeps {
  tenantFor: TenantResolver;
  users: Pick<UserService, 'tenantOf'>;
  audit: Pick<AuditService, 'recordNow'>;
}

type DeviceCodeLike = {
  clientId?: string;
  params?: Record<string, unknown>;
  deviceInfo?: unknown;
  iat?: number;
};

/**
 * AUD-1 for the device flow: a person's approval (`device.approved`) or refusal (`device.denied`)
 * of a device code, each an entry of its own in the org the code was requested for. The actor is
 * the person signed in to that org in this browser (anonymous otherwise: a code can be cancelled
 * before signing in); the target is the client; the details are what the confirmation showed. The
 * device and user codes are bearer secrets while pending, and are never written.
 */
export function createDeviceAudit(deps: DeviceAuditDeps) {
  return async function recordDecision(
    ctx: KoaContextWithOIDC,
    decision: 'approved' | 'denied',
  ): Promise<void> {
    const code = ctx.oidc.entities.DeviceCode as DeviceCodeLike | undefined;
    if (!code?.clientId) return;
    const client = ctx.oidc.client ?? (await ctx.oidc.provider.Client.find(code.clientId));
    const tenantId = client && (await deps.tenantFor(client as unknown as { clientId: string }, code.params));
    if (!tenantId) return;
    const request = deviceRequestOf(code);
    await deps.audit.recordNow(await actorContext(ctx, tenantId), {
      tenantId,
      orgId: tenantId,
      action: `device.${decision}`,
      target: { type: 'client', id: code.clientId },
      after: {
        ...(client.clientName ? { clientName: client.clientName } : {}),
        ...(request.origin ? { requestOrigin: request.origin } : {}),
        ...(request.requestedAt === undefined
          ? {}
          : { requestedAt: new Date(request.requestedAt).toISOString() }),
      },
    });
  };

  async function actorContext(ctx: KoaContextWithOIDC, tenantId: string): Promise<RequestContext> {
    const requestId = requestIdOf(ctx) ?? '';
    const accountId = ctx.oidc.session?.accountId;
    // A session of another org's user in the same browser is not this org's business.
    if (accountId && (await deps.users.tenantOf(accountId)) === tenantId) {
      return { actor: { kind: 'user', tenantId, userId: accountId }, requestId };
    }
    return { actor: { kind: 'anonymous' }, requestId };
  }
}

export type DeviceAudit = ReturnType<typeof createDeviceAudit>;
