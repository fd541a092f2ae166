export { createSessionService, type SessionService, type SessionState } from './session.service.ts';
export { IDLE_TIMEOUT_MINUTES, SESSION_LIFETIME_MINUTES } from './session-limits.ts';
