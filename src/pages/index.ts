// Page routes: `/`, sign-up, invitation acceptance and the console's entry points.
export { invitationPageRoutes } from './invitation.routes.ts';
export { passwordResetPageRoutes } from './password-reset.routes.ts';
export { createPageRoutes, type PageDeps } from './routes.ts';
