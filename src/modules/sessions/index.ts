export { createSessionService, type SessionService, type SessionState } from './session.service.ts';
