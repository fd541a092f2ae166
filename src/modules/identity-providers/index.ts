export { groupMappingDto, identityProviderDto } from './idp.dto.ts';
export { createFederatedIdentityService, type FederatedIdentityService } from './idp.identities.ts';
export { createMappingService, type MappingService } from './idp.mappings.ts';
export {
  type FederationUrls,
  federationUrls,
  SP_NAME_ID_FORMAT,
  spMetadataXml,
  xmlEscape,
} from './idp.metadata.ts';
export { spMetadataRoutes } from './idp.metadata-route.ts';
export { type ProviderForSignIn, secretContext } from './idp.reads.ts';
export { identityProviderRoutes } from './idp.routes.ts';
export type {
  GroupMapping,
  IdentityProvider,
  IdpKind,
  OidcConfig,
  SamlAttributes,
  SamlConfig,
} from './idp.schema.ts';
export { IDP_KINDS, mappingSource } from './idp.schema.ts';
export { createIdpService, type IdpService } from './idp.service.ts';
