export { type BusinessGroupService, createBusinessGroupService } from './business-group.service.ts';
export {
  createDomainDirectory,
  type DomainDirectory,
  type MasterRef,
  ORGANIZATION_DOMAINS_CHANGED,
} from './domain-directory.ts';
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
