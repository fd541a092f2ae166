import assert from 'node:assert/strict';
import type { Container } from '../../src/container.ts';

// ACC-2, ACC-5: tokens that outlive their session. The provider offers no `offline_access` (it drops
// the scope from a request), so a refresh token not bound to its session is made here, from a real
// one: its grant is then all that stands between it and new tokens once the session is over.

/** What the provider holds of a refresh token, its session binding ignored. */
export const storedRefreshToken = (c: Pick<Container, 'oidc'>, token: string) =>
  // `ignoreSessionBinding` is the provider's own option, missing from its types.
  c.oidc.provider.RefreshToken.find(token, { ignoreSessionBinding: true } as object);

/** Makes a session-bound refresh token one that is not, as an `offline_access` one is; its grant id. */
export async function makeOffline(c: Pick<Container, 'oidc'>, token: string): Promise<string> {
  const stored = await storedRefreshToken(c, token);
  assert.ok(stored?.expiresWithSession, 'a session-bound refresh token to begin with');
  stored.expiresWithSession = false;
  await stored.save();
  return stored.grantId as string;
}

/** Destroys the stored provider session of a session row, as a request that found it over does. */
export async function destroyStoredSession(c: Pick<Container, 'oidc'>, sessionUid: string) {
  const adapter = c.oidc.provider.Session.adapter;
  const stored = await adapter.findByUid(sessionUid);
  if (stored?.jti) await adapter.destroy(stored.jti as string);
}
