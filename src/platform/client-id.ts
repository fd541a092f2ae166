/**
 * Client IDs Canopy issues are 32 hex characters (`newClientId`), its own clients have fixed names
 * (`canopy-console`, `canopy-cli`), and every client ID column is varchar(64): all of them URL-safe
 * ASCII. The provider also decodes client IDs from inside tokens and headers (an `id_token_hint`'s
 * `aud`, a Basic credential, an assertion's `sub`), where the input checks cannot see them.
 */
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,64}$/;

/**
 * Whether a value could be a client ID at all. One that is not (a NUL, other control or non-ASCII
 * characters, a huge string) names no client and is never looked up: PostgreSQL would refuse a
 * NUL in text with an error, not with "no such row" (REL-1).
 */
export function isClientIdShaped(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_ID.test(value);
}
