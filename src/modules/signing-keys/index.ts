export type { PrivateJwk, PublicJwk, SigningAlg } from './signing-key.jwk.ts';
export {
  createSigningKeyService,
  DEFAULT_RETENTION_MS,
  KEYS_CHANGED,
  type RevocationResult,
  type SigningKeyInfo,
  type SigningKeyService,
  type SigningKeyServiceDeps,
} from './signing-key.service.ts';
