import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import type { SignalBus } from '../../platform/signals.ts';
import type { AuditService } from '../audit/index.ts';

/** Published whenever the set of published keys changes: every node rebuilds its provider. */
export const KEYS_CHANGED = 'signing-keys.changed';

export interface SigningKeyInfo {
  kid: string;
  alg: 'ES256' | 'RS256';
  /** `active` signs; `retiring` is still published for verification until `retireAt`; `retired` is gone. */
  status: 'active' | 'retiring' | 'retired';
  createdAt: Date;
  retireAt: Date | null;
}

export interface SigningKeyServiceDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  audit: AuditService;
  signals: SignalBus;
  logger: Logger;
}

const notYet = (): never => {
  throw new Error('signing keys are being built (issue 3)');
};

/** Signing keys in SQL, sealed with SECRETS_KEY, shared by all nodes. Placeholder: the real service replaces this file. */
export function createSigningKeyService(_deps: SigningKeyServiceDeps) {
  return {
    /** At start: makes sure an active ES256 and an active RS256 key exist (creating them once, race-free across nodes). */
    ensureKeys: async (): Promise<void> => notYet(),
    /** Private JWKs for the provider: active keys first (ES256 before RS256), then retiring ones. */
    providerJwks: async (): Promise<{ keys: Array<Record<string, unknown>> }> => notYet(),
    rotate: async (_ctx: RequestContext): Promise<{ added: SigningKeyInfo[]; retiring: SigningKeyInfo[] }> =>
      notYet(),
    list: async (): Promise<SigningKeyInfo[]> => notYet(),
  };
}

export type SigningKeyService = ReturnType<typeof createSigningKeyService>;
