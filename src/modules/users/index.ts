export { userDto, userListQuery, userPageDto, userParams } from './user.dto.ts';
export { emailFrom, nameFrom, usernameFrom } from './user.federated.ts';
export { userRoutes } from './user.routes.ts';
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
