export {
  emailSchema,
  type NewLocalUser,
  newLocalUserSchema,
  passwordSchema,
  personNameSchema,
  type User,
  usernameSchema,
} from './user.schema.ts';
export { createUserService, type UserService } from './user.service.ts';
