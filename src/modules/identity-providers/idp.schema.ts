// What an identity provider is, as the rest of Canopy sees it (FED-1). Secrets are not part of it:
// an OIDC provider only says that it has a client secret.

export const IDP_KINDS = ['saml', 'oidc'] as const;
export type IdpKind = (typeof IDP_KINDS)[number];

/** SAML attribute names the flow reads from an assertion. */
export interface SamlAttributes {
  username: string;
  email: string;
  name: string;
  groups: string;
}

export interface SamlConfig {
  /** The IdP's entity id: the `Issuer` its responses must carry (FED-6). */
  entityId: string;
  /** Where AuthnRequests go (HTTP-Redirect binding). */
  ssoUrl: string;
  /** PEM, normalised; any one of them may sign (certificate rollover). */
  signingCertificates: string[];
  wantAssertionsSigned: boolean;
  wantResponseSigned: boolean;
  allowIdpInitiated: boolean;
  attributes: SamlAttributes;
  clockSkewSeconds: number;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  scopes: string[];
  /** Dotted path into the ID token / userinfo claims, e.g. `groups` or `realm_access.roles`. */
  groupsClaim: string;
  usernameClaim: string;
  idTokenSigningAlgs: string[];
}

/** The URLs the IdP is configured with (see federationUrls). */
export interface ProviderUrls {
  spEntityId: string;
  spMetadataUrl: string;
  acsUrl: string;
  oidcRedirectUri: string;
}

/** What an admin wants to see of a signing certificate without decoding the PEM. */
export interface CertificateInfo {
  subject: string;
  notAfter: Date;
  sha256Fingerprint: string;
}

interface ProviderBase {
  id: string;
  tenantId: string;
  name: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type IdentityProvider =
  | (ProviderBase & { kind: 'saml'; config: SamlConfig; certificates: CertificateInfo[]; urls: ProviderUrls })
  | (ProviderBase & { kind: 'oidc'; config: OidcConfig; hasClientSecret: boolean; urls: ProviderUrls });

/** FED-4: a provider group, by its exact name, grants a role on a node (optionally one environment). */
export interface GroupMapping {
  id: string;
  tenantId: string;
  providerId: string;
  group: string;
  roleId: string;
  organizationId: string;
  environmentId: string | null;
  inherit: boolean;
  createdAt: Date;
}

/** The `source` of role assignments a provider's group mappings made (FED-4 reconciles only these). */
/** Lower-cased: a provider id arrives from URLs in either case, and the source must match one spelling. */
export const mappingSource = (providerId: string) => `idp:${providerId.toLowerCase()}`;
