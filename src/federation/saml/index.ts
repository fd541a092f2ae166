// FED-6: the SAML protocol module, its ACS route and its start from the interaction.

export { samlAcsRoutes, samlStarter } from './saml.routes.ts';
export { createMemorySamlCache, createRedisSamlCache, type SamlCache } from './saml-cache.ts';
export { createSqlSamlCache, sweepSamlCache } from './saml-cache-sql.ts';
export { refusalOf, SAML_REJECT_REASONS, SamlRejected, type SamlRejectReason } from './saml-errors.ts';
export {
  createSamlProtocol,
  REQUEST_TTL_MS,
  type SamlConsumed,
  type SamlProtocolDeps,
  type SamlProvider,
  type SamlStart,
} from './saml-protocol.ts';
export { MAX_RESPONSE_BYTES } from './saml-xml.ts';
