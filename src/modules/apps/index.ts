export type { App, AppGrant, AppKind } from './app.schema.ts';
export { type AppService, CLIENTS_CHANGED, createAppService } from './app.service.ts';
