import { type Adapter, type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { TenantDirectory } from '../modules/roles/index.ts';
import { SESSION_LIFETIME_MINUTES } from '../modules/sessions/index.ts';
import type { UserService } from '../modules/users/index.ts';
import { createFindAccount } from './account.ts';
import { orgClaims } from './claims.ts';
import { CLIENT_METADATA } from './client-store.ts';
import type { DevicePages } from './device-pages.ts';
import { createInteractionPolicy, createLoadExistingGrant } from './grants.ts';
import { introspectionAllowed } from './introspection.ts';
import { providerCookies } from './provider-cookies.ts';
import { createResourceIndicators } from './resources.ts';
import { cliClient, consoleClient, type TenantResolver } from './tenancy.ts';

/** Provider endpoints live under `/oidc`; discovery stays at the issuer's well-known path. */
export const OIDC_PREFIX = '/oidc';
/** Where a person enters the code their device shows (RFC 8628 `verification_uri`). */
export const CODE_VERIFICATION_PATH = `${OIDC_PREFIX}/device`;

const MINUTE = 60;
/** Grants and their refresh tokens are bound to a session: none is of use past the longest one (SESS-3). */
const LONGEST_SESSION = SESSION_LIFETIME_MINUTES.max * MINUTE;

export interface ConfigurationDeps {
  issuer: string;
  adapter: (name: string) => Adapter;
  tenantFor: TenantResolver;
  jwks: { keys: ReadonlyArray<object> };
  cookieKeys: string[];
  users: Pick<UserService, 'tenantOf' | 'profileOf'>;
  directory: TenantDirectory;
  sessionTtl: (session: { uid?: string; accountId?: string }) => number;
  /** Canopy's own pages, rendered inside the provider (Koa). */
  pages: Pick<Configuration, 'renderError'> & {
    logoutSource: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>['logoutSource'];
    postLogoutSuccessSource: NonNullable<
      NonNullable<Configuration['features']>['rpInitiatedLogout']
    >['postLogoutSuccessSource'];
  };
  /** Canopy's pages of the device flow (code entry, confirmation, done). */
  devicePages: DevicePages;
}

/**
 * Everything oidc-provider is told, in one place. The choices follow docs/design/sso.md: PKCE (S256)
 * for every client, code flow only, opaque access tokens, rotating refresh tokens bound to the
 * session, Canopy's pages for sign-in, consent, logout and errors, and tenant-isolated introspection.
 */
export function providerConfiguration(deps: ConfigurationDeps): Configuration {
  const sameTenant = (
    ctx: KoaContextWithOIDC,
    client: Parameters<typeof introspectionAllowed>[1],
    token: object,
  ) => introspectionAllowed(ctx, client, token);
  return {
    adapter: deps.adapter,
    clients: [consoleClient(deps.issuer), cliClient()],
    // The console and the command line name the org signing in (its domain); apps belong to one
    // org already. A device authorization request must name a known org at once: the person who
    // would otherwise find out is in a browser, away from the terminal that made the request.
    extraParams: {
      async org(ctx: KoaContextWithOIDC, value: string | undefined, client: { clientId: string }) {
        if (ctx.oidc.route !== 'device_authorization' || (await deps.tenantFor(client, ctx.oidc.params)))
          return;
        throw new errors.InvalidRequest(
          value === undefined
            ? 'missing org: name the organization by its domain'
            : 'org names no organization: use its domain',
        );
      },
    },
    jwks: deps.jwks as unknown as Configuration['jwks'],
    cookies: providerCookies(deps.issuer, deps.cookieKeys),
    findAccount: createFindAccount(deps),
    // The org claims belong to `openid`: they are in the ID token, userinfo and introspection (SESS-5).
    claims: {
      openid: ['sub', 'org_id', 'org_domain', 'org_roles', 'roles', 'permissions'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'profile', 'email'],
    conformIdTokenClaims: false,
    extraClientMetadata: { properties: [...CLIENT_METADATA] },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // Secrets are compared by their owners, never held in clear here: no HMAC-based client auth.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    // Refresh tokens for every code-flow client, rotated at every use (reuse revokes the grant),
    // and bound to the session (no offline_access scope is offered).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    loadExistingGrant: createLoadExistingGrant(deps),
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: createInteractionPolicy(deps),
    },
    extraTokenClaims: async (_ctx, token) => {
      // A snapshot at issue (ROLE-6); introspection reports the current truth instead.
      if (token.kind === 'AccessToken' && token.accountId) {
        const tenantId = await deps.users.tenantOf(token.accountId);
        if (!tenantId) return undefined;
        return orgClaims(await deps.directory.forTenant(tenantId), token.accountId) as unknown as Record<
          string,
          unknown
        >;
      }
      return undefined;
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: sameTenant },
      revocation: { enabled: true, allowedPolicy: sameTenant },
      userinfo: { enabled: true },
      resourceIndicators: createResourceIndicators(deps),
      // RFC 8628 for the command line. User codes are 8 letters of the 20 consonants that are hard
      // to confuse (BCDFGHJKLMNPQRSTVWXZ, no vowels so no words), shown as BCDF-GHJK: 20^8 ≈ 2^34.6
      // values, typed case- and dash-insensitively; guessing is throttled per address
      // (device-throttle.ts) and a code lives 10 minutes.
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        ...deps.devicePages,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: deps.pages.logoutSource,
        postLogoutSuccessSource: deps.pages.postLogoutSuccessSource,
      },
    },
    renderError: deps.pages.renderError,
    routes: {
      authorization: `${OIDC_PREFIX}/auth`,
      token: `${OIDC_PREFIX}/token`,
      userinfo: `${OIDC_PREFIX}/me`,
      jwks: `${OIDC_PREFIX}/jwks`,
      introspection: `${OIDC_PREFIX}/token/introspection`,
      revocation: `${OIDC_PREFIX}/token/revocation`,
      end_session: `${OIDC_PREFIX}/session/end`,
      backchannel_authentication: `${OIDC_PREFIX}/backchannel`,
      code_verification: CODE_VERIFICATION_PATH,
      device_authorization: `${OIDC_PREFIX}/device/auth`,
      pushed_authorization_request: `${OIDC_PREFIX}/request`,
      registration: `${OIDC_PREFIX}/reg`,
      challenge: `${OIDC_PREFIX}/challenge`,
      credential: `${OIDC_PREFIX}/credential`,
    },
    ttl: {
      AccessToken: 15 * MINUTE,
      AuthorizationCode: MINUTE,
      ClientCredentials: 10 * MINUTE,
      // REL-4: what an anonymous request stores lives minutes (pushed requests: the provider's 60 s;
      // anonymous sessions: session-guard.ts), and is capped per address (anonymous-cap.ts).
      DeviceCode: 10 * MINUTE,
      IdToken: 60 * MINUTE,
      Interaction: 10 * MINUTE,
      Grant: LONGEST_SESSION,
      RefreshToken: LONGEST_SESSION,
      // The session registry is the judge of idle and absolute timeouts; this is only storage life.
      Session: (_ctx, session) => deps.sessionTtl(session),
    },
  };
}
