export type { AuditQuery, AuditRow } from './audit.repository.ts';
export { type AuditEntry, type AuditService, createAuditService } from './audit.service.ts';
export { redact } from './redact.ts';
