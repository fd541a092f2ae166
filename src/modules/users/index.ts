export { userDto, userListQuery, userPageDto, userParams } from './user.dto.ts';
export { emailFrom, nameFrom, usernameFrom } from './user.federated.ts';
export { userRoutes } from './user.routes.ts';
export {
  type CheckedPassword,
  emailSchema,
  type NewLocalUser,
  newLocalUserSchema,
  type PasswordHash,
  passwordSchema,
  personNameSchema,
  type User,
  usernameSchema,
} from './user.schema.ts';
export {
  type CredentialsChange,
  type CredentialsChangeHook,
  createUserService,
  type EmailVerificationIssuer,
  type PendingMail,
  type UserService,
} from './user.service.ts';
