// Federated sign-in (FED-2…FED-4, FED-6, FED-7): the flow records, the account step, the common
// finish of both protocols, and the OIDC protocol. The SAML protocol lives in saml/.
export { type ExternalProfile, groupsFrom, MAX_GROUPS } from './external-profile.ts';
export {
  createFederatedSignIn,
  type FederatedSignIn,
  type FederatedSignInDeps,
  type RefusalReason,
  type SignInMeta,
  SignInRefused,
} from './federated-sign-in.ts';
export {
  anonymousContext,
  createFederationFinish,
  type FederationFinish,
  type FederationStarter,
  sendRefusal,
} from './finish.ts';
export {
  createFlowStore,
  type FlowKind,
  type FlowOutcome,
  type FlowRecord,
  type FlowStore,
  MAX_FLOW_TTL_SECONDS,
  type NewFlow,
  sweepExpiredFlows,
} from './flow-store.ts';
export { oidcCallbackRoutes, oidcStarter } from './oidc/oidc.routes.ts';
export { createOidcUpstream, type OidcUpstreamClient } from './oidc/oidc-upstream.ts';
