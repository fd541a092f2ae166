export { appDto, appWithSecretDto } from './app.dto.ts';
export { dropGrantsOnNodesInTx } from './app.references.ts';
export { appRoutes } from './app.routes.ts';
export type { App, AppGrant, AppKind } from './app.schema.ts';
export { APP_KINDS, isConfidential, isUserFacing, REFRESH_REUSE_SECONDS } from './app.schema.ts';
export { type AppService, type AppServiceDeps, CLIENTS_CHANGED, createAppService } from './app.service.ts';
export { LOOPBACK_HOSTS } from './redirect-uris.ts';
