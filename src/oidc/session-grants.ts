import type { Adapter, Provider } from 'oidc-provider';

/**
 * ACC-2, ACC-5: what ending a session takes back through the provider. The grants come from the
 * session's registry row (`authorizations`, recorded each time the provider saved the session), not
 * from the stored session, which a request may have destroyed in the meantime: so grants whose
 * tokens are not bound to the session are revoked too. Every token issued from them (access and
 * refresh tokens, codes) and the grants themselves go, and so does the stored session. Idempotent:
 * the sessions module calls it before it ends the row, and a failed attempt is made again.
 * Everything lives in the shared stores: every node sees it at once.
 */
export function createSessionGrants(deps: {
  /** The Session store itself, unguarded: no registry judgement while it is being ended. */
  sessionStore: Adapter;
  provider(): Provider;
}) {
  async function revokeSessionGrants(session: { sessionUid: string; grantIds: readonly string[] }) {
    const provider = deps.provider();
    for (const grantId of new Set(session.grantIds)) {
      await Promise.all(
        [provider.AccessToken, provider.RefreshToken, provider.AuthorizationCode, provider.DeviceCode].map(
          (model) => model.revokeByGrantId(grantId),
        ),
      );
      await provider.Grant.adapter.destroy(grantId);
    }
    const stored = await deps.sessionStore.findByUid(session.sessionUid);
    if (typeof stored?.jti === 'string') await deps.sessionStore.destroy(stored.jti);
  }

  /** The display names of these clients (apps, the console, the command line), where known. */
  async function appNames(clientIds: readonly string[]): Promise<Map<string, string>> {
    const provider = deps.provider();
    const names = new Map<string, string>();
    for (const clientId of new Set(clientIds)) {
      const client = await provider.Client.find(clientId).catch(() => undefined);
      if (typeof client?.clientName === 'string') names.set(clientId, client.clientName);
    }
    return names;
  }

  return { revokeSessionGrants, appNames };
}
