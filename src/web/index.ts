import { Router } from 'express';
import type { Config } from '../config/schema.ts';
import type { OrganizationService, SignupResult } from '../modules/organizations/index.ts';
import type { RequestContext } from '../platform/context.ts';
import type { Logger } from '../platform/logger.ts';

export interface WebDeps {
  config: Readonly<Config>;
  logger: Logger;
  signUp(ctx: RequestContext, input: unknown): Promise<SignupResult>;
  organizations: Pick<OrganizationService, 'findByDomain'>;
}

/** Server-rendered pages (sign-up, assets, errors). Placeholder: the real pages replace this file. */
export function createWebRoutes(_deps: WebDeps): Router {
  return Router();
}
