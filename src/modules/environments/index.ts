export {
  type CredentialService,
  createCredentialService,
  type VerifiedClient,
} from './credential.service.ts';
export { credentialsDto, environmentDto } from './environment.dto.ts';
export { environmentRoutes } from './environment.routes.ts';
export type { ClientCredentials, Environment, EnvironmentType } from './environment.schema.ts';
export { ENVIRONMENT_TYPES } from './environment.schema.ts';
export {
  createEnvironmentService,
  DEFAULT_ENVIRONMENTS,
  type EnvironmentService,
} from './environment.service.ts';
