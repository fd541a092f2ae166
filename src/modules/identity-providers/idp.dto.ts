import { z } from 'zod';
import { idParam } from '../../platform/http/route.ts';

// What the admin API answers about identity providers. No client secret, sealed or not, is ever
// part of an answer: an OIDC provider says `hasClientSecret` only.

const urlsDto = z
  .object({
    spEntityId: z.string().describe('SAML: the entity id Canopy uses with this IdP'),
    spMetadataUrl: z.string().describe('SAML: service-provider metadata to give the IdP'),
    acsUrl: z.string().describe('SAML: assertion consumer service (HTTP-POST)'),
    oidcRedirectUri: z.string().describe('OIDC: the redirect URI to register at the provider'),
  })
  .describe('The URLs to configure at the identity provider');

const samlConfigDto = z.object({
  entityId: z.string(),
  ssoUrl: z.string(),
  signingCertificates: z.array(z.string()).describe('PEM'),
  wantAssertionsSigned: z.boolean(),
  wantResponseSigned: z.boolean(),
  allowIdpInitiated: z.boolean(),
  attributes: z.object({ username: z.string(), email: z.string(), name: z.string(), groups: z.string() }),
  clockSkewSeconds: z.number().int(),
});

const oidcConfigDto = z.object({
  issuer: z.string(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  groupsClaim: z.string(),
  usernameClaim: z.string(),
  idTokenSigningAlgs: z.array(z.string()),
});

const common = {
  id: z.uuid(),
  tenantId: z.uuid(),
  name: z.string(),
  enabled: z.boolean(),
  urls: urlsDto,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
};

export const identityProviderDto = z.discriminatedUnion('kind', [
  z.object({
    ...common,
    kind: z.literal('saml'),
    config: samlConfigDto,
    certificates: z.array(
      z.object({ subject: z.string(), notAfter: z.iso.datetime(), sha256Fingerprint: z.string() }),
    ),
  }),
  z.object({
    ...common,
    kind: z.literal('oidc'),
    config: oidcConfigDto,
    hasClientSecret: z.boolean().describe('The secret itself is write-only'),
  }),
]);

export const groupMappingDto = z.object({
  id: z.uuid(),
  providerId: z.uuid(),
  group: z.string().describe('Exact group name sent by the provider'),
  roleId: z.uuid(),
  organizationId: z.uuid(),
  environmentId: z.uuid().nullable(),
  inherit: z.boolean(),
  createdAt: z.iso.datetime(),
});

export const localAccountsDto = z.object({
  organizationId: z.uuid(),
  localAccountsEnabled: z.boolean().describe('FED-5: whether invitations may still create local accounts'),
});

export const providerParams = z.object({ providerId: idParam.describe('Id of an identity provider') });
export const mappingParams = providerParams.extend({ mappingId: idParam.describe('Id of a group mapping') });
