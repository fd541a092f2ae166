import { hkdfSync } from 'node:crypto';

/** The installation key (table `installation_keys`) that the sign-in's pseudonym keys come from. */
export const PSEUDONYM_INSTALLATION_KEY = 'pseudonyms';

export interface PseudonymKeys {
  /** SEC-12: the audit log's `usernameHash` of a username that names no account. */
  usernameHashKey: Buffer;
  /** SEC-12: the throttle's counter keys, derived from what was typed as the username and the address. */
  throttleKey: Buffer;
}

/**
 * The keys of what sign-in keeps about what people type, derived (HKDF-SHA256, salt `canopy`) from
 * the installation key, not from the SECRETS_KEY ring: a rotation changes neither, so throttle
 * counters stay one counter on every node, and an old `usernameHash` can still be checked.
 */
export function derivePseudonymKeys(installationKey: Buffer): PseudonymKeys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', installationKey, 'canopy', info, 32));
  return {
    usernameHashKey: derive('audit username hash v1'),
    throttleKey: derive('sign-in throttle keys v1'),
  };
}
