export { sessionDto, sessionListDto } from './session.dto.ts';
export type { EndedSession, RevokeGrants, SessionView } from './session.management.ts';
export { revokeLate } from './session.management.ts';
export { callingPerson, type ProviderSessions, sessionRoutes } from './session.routes.ts';
export { createSessionService, type SessionService, type SessionState } from './session.service.ts';
export { IDLE_TIMEOUT_MINUTES, SESSION_LIFETIME_MINUTES } from './session-limits.ts';
