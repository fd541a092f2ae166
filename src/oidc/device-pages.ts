import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { TenantDirectory } from '../modules/roles/index.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import {
  type DeviceCodeProblem,
  type DeviceForm,
  deviceCodePage,
  deviceConfirmPage,
  deviceDonePage,
} from '../web/index.ts';
import type { DeviceAudit } from './device-audit.ts';
import { deviceRequestInfo, deviceRequestOf } from './device-request.ts';
import { requestLog } from './provider-throttle.ts';
import { sendPage } from './send-page.ts';
import type { TenantResolver } from './tenancy.ts';

type DeviceFlow = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;
export type DevicePages = Pick<
  DeviceFlow,
  'deviceInfo' | 'userCodeInputSource' | 'userCodeConfirmSource' | 'successSource'
>;

/**
 * The provider's form, rebuilt with Canopy's markup: its action and the xsrf secret it has just put
 * in the browser's session (its own markup carries an inline handler the CSP refuses, and no label).
 */
function providerForm(ctx: KoaContextWithOIDC): DeviceForm {
  const xsrf = (ctx.oidc.session?.state as { secret?: unknown } | undefined)?.secret;
  if (typeof xsrf !== 'string') throw new Error('device flow: the provider set no xsrf secret');
  return { action: ctx.oidc.urlFor('code_verification'), xsrf };
}

// The provider re-renders code entry for these (by class name; the classes are not exported).
const PROBLEMS: Record<string, DeviceCodeProblem> = {
  NoCodeError: 'missing',
  NotFoundError: 'not_found',
  ExpiredError: 'expired',
  AlreadyUsedError: 'used',
};

/**
 * Canopy's pages for the device flow (RFC 8628), rendered inside the provider: code entry (again,
 * with the problem, after a wrong or expired code), confirmation naming the app, the org, when and
 * from which network the code was requested, and the end (signed in, or cancelled). The person's
 * decision is audited before its page is sent: should that fail, the provider marks the code
 * failed and the device gets no token.
 */
export function devicePages(deps: {
  tenantFor: TenantResolver;
  directory: TenantDirectory;
  clock: Clock;
  recordDecision: DeviceAudit;
  logger: Logger;
}): DevicePages {
  return {
    deviceInfo: deviceRequestInfo(deps.clock),

    async userCodeInputSource(ctx, _form, out, err) {
      const session = ctx.oidc.session as unknown as { exp?: unknown; touched?: boolean } | undefined;
      if (err && session && typeof session.exp !== 'number') {
        // A post without a stored session (it expired, or cookies are blocked): oidc-provider 9
        // fails with a 500 when it saves the one it has just made here, so leave that unsaved
        // and send the person to a fresh form.
        session.touched = false;
        ctx.redirect(ctx.oidc.urlFor('code_verification'));
        ctx.status = 303;
        return;
      }
      if (err?.name === 'AbortedError') {
        // The code is refused already; a missing entry must not tell the person otherwise.
        await deps.recordDecision(ctx, 'denied').catch((auditErr: Error) => {
          requestLog(ctx, deps.logger).error(
            { err: auditErr.message },
            'device flow: could not audit a refused device code',
          );
        });
        sendPage(ctx, deviceDonePage({ outcome: 'cancelled', appName: await appName(ctx) }), 200);
        return;
      }
      const problem = err ? (PROBLEMS[err.name] ?? 'failed') : undefined;
      const userCode = (err as { userCode?: unknown } | undefined)?.userCode;
      // A code that cannot be used is the person's mistake (400); other failures keep their status.
      const status = err && PROBLEMS[err.name] ? 400 : out ? ctx.status : 200;
      sendPage(
        ctx,
        deviceCodePage({
          form: providerForm(ctx),
          userCode: typeof userCode === 'string' ? userCode.slice(0, 32) : undefined,
          problem,
        }),
        status,
      );
    },

    async userCodeConfirmSource(ctx, _form, client, _deviceInfo, userCode) {
      const code = ctx.oidc.entities.DeviceCode as
        | { params?: Record<string, unknown>; deviceInfo?: unknown; iat?: number }
        | undefined;
      const tenantId = await deps.tenantFor(client as unknown as { clientId: string }, code?.params);
      const orgName = tenantId ? (await deps.directory.forTenant(tenantId)).root.name : undefined;
      const { requestedAt, origin } = deviceRequestOf(code);
      sendPage(
        ctx,
        deviceConfirmPage({
          form: providerForm(ctx),
          appName: client.clientName ?? client.clientId,
          orgName,
          userCode,
          ...(requestedAt === undefined ? {} : { requestedAt: new Date(requestedAt) }),
          origin,
          now: deps.clock.now(),
        }),
      );
    },

    async successSource(ctx) {
      await deps.recordDecision(ctx, 'approved');
      sendPage(ctx, deviceDonePage({ outcome: 'signed_in', appName: await appName(ctx) }));
    },
  };
}

/** The name of the app the device code was issued to (a cancel at confirmation has no client loaded). */
async function appName(ctx: KoaContextWithOIDC): Promise<string | undefined> {
  if (ctx.oidc.client) return ctx.oidc.client.clientName;
  const clientId = (ctx.oidc.entities.DeviceCode as { clientId?: string } | undefined)?.clientId;
  return clientId ? (await ctx.oidc.provider.Client.find(clientId))?.clientName : undefined;
}
