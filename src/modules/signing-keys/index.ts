export {
  createSigningKeyService,
  KEYS_CHANGED,
  type SigningKeyInfo,
  type SigningKeyService,
} from './signing-key.service.ts';
