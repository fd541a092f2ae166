import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/database.ts';
import type { SignalBus } from '../../platform/signals.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access } from '../roles/index.ts';
import type { App } from './app.schema.ts';

/** Published with `{ clientId }` whenever an app's client metadata or secret changes. */
export const CLIENTS_CHANGED = 'clients.changed';

export interface AppServiceDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  access: Access;
  audit: AuditService;
  signals: SignalBus;
}

const notYet = (): never => {
  throw new Error('connected apps are being built (issue 3)');
};

/** Connected apps (APP-1, APP-2). Placeholder: the real service replaces this file. */
export function createAppService(_deps: AppServiceDeps) {
  return {
    create: async (
      _ctx: RequestContext,
      _tenantId: string,
      _input: unknown,
    ): Promise<{ app: App; clientSecret?: string }> => notYet(),
    list: async (_ctx: RequestContext, _tenantId: string): Promise<App[]> => notYet(),
    get: async (_ctx: RequestContext, _tenantId: string, _appId: string): Promise<App> => notYet(),
    update: async (_ctx: RequestContext, _tenantId: string, _appId: string, _patch: unknown): Promise<App> =>
      notYet(),
    remove: async (_ctx: RequestContext, _tenantId: string, _appId: string): Promise<void> => notYet(),
    rotateSecret: async (
      _ctx: RequestContext,
      _tenantId: string,
      _appId: string,
    ): Promise<{ app: App; clientSecret: string }> => notYet(),
    /** For the provider: the app behind a client ID, whatever its tenant (client IDs are global). */
    findByClientId: async (_clientId: string): Promise<App | undefined> => notYet(),
    /** For the provider's client authentication: constant-time, never throws for a wrong secret. */
    verifySecret: async (_clientId: string, _secret: string): Promise<boolean> => notYet(),
  };
}

export type AppService = ReturnType<typeof createAppService>;
