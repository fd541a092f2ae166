export { type BusinessGroupService, createBusinessGroupService } from './business-group.service.ts';
export { hierarchyNodeDto, organizationDto, orgParams } from './organization.dto.ts';
export { organizationRoutes } from './organization.routes.ts';
export type { Entitlements, Organization } from './organization.schema.ts';
export {
  DEFAULT_SESSION_MAX_MINUTES,
  DEFAULT_SESSION_TIMEOUT_MINUTES,
  domainSchema,
} from './organization.schema.ts';
export {
  createOrganizationService,
  type HierarchyNode,
  type OrganizationService,
} from './organization.service.ts';
export { signupRoutes } from './signup.routes.ts';
export { createSignupService, type SignupMode, type SignupResult } from './signup.service.ts';
