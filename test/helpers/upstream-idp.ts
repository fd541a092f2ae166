import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type ClientMetadata } from 'oidc-provider';

// A company's OpenID provider for federation tests (FED-7): a real oidc-provider on a loopback
// port, with its own cookie names (a browser shares cookies across ports of one host) and a login
// step that signs in whoever the test says is at the keyboard, without a form.

/**
 * SEC-5: Canopy fetches nothing from loopback by default; a Canopy that federates with these
 * loopback IdPs is started with the operator's private-network setting on, explicitly.
 */
export const LOCAL_IDP_CONFIG = { federation: { allowPrivateNetworks: true } };

export interface UpstreamAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  groups?: string[];
}

export interface UpstreamIdp {
  issuer: string;
  /** Who signs in at the next login prompt. */
  signInAs(account: UpstreamAccount): void;
  /** Builds the provider with its clients (their redirect URIs are known only now). */
  start(clients: ClientMetadata[]): void;
  close(): Promise<void>;
}

export async function listenLoopback(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { origin, close };
}

export async function startUpstreamIdp(): Promise<UpstreamIdp> {
  let provider: Provider | undefined;
  let current: UpstreamAccount | undefined;
  const accounts = new Map<string, UpstreamAccount>();
  const { origin, close } = await listenLoopback((req, res) => {
    if (!provider) {
      res.statusCode = 503;
      res.end();
      return;
    }
    if (req.url?.startsWith('/interaction/')) return void interact(provider, req, res);
    provider.callback()(req, res);
  });

  async function interact(p: Provider, req: IncomingMessage, res: ServerResponse) {
    try {
      const details = await p.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        if (!current) throw new Error('the test named nobody to sign in upstream');
        accounts.set(current.sub, current);
        return await p.interactionFinished(req, res, { login: { accountId: current.sub } });
      }
      const accountId = details.session!.accountId;
      const grant = new p.Grant({ accountId, clientId: String(details.params.client_id) });
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      grant.addOIDCScope((missing.missingOIDCScope ?? []).join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      await p.interactionFinished(req, res, { consent: { grantId: await grant.save() } });
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  }

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'upstream-1', alg: 'RS256', use: 'sig' };
  return {
    issuer: origin,
    signInAs(account) {
      current = account;
      accounts.set(account.sub, account);
    },
    start(clients) {
      provider = new Provider(origin, {
        clients,
        jwks: { keys: [jwk as never] },
        cookies: {
          keys: ['upstream-cookie-key'],
          names: { session: 'up_session', interaction: 'up_interaction', resume: 'up_resume' },
        },
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['name', 'preferred_username'],
          groups: ['groups'],
        },
        findAccount: (_ctx, sub) => {
          const account = accounts.get(sub);
          return account ? { accountId: sub, claims: () => ({ ...account }) } : undefined;
        },
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      });
    },
    close,
  };
}
