export { accessDeniedEntry, type Refusal, type RefusedAt } from './access-denied.ts';
export { auditEntryDto, auditLogPageDto, auditLogQuery } from './audit.dto.ts';
export {
  type AuditLogFilter,
  type AuditLogPage,
  type AuditLogReader,
  createAuditLogReader,
} from './audit.reader.ts';
export { auditRoutes } from './audit.routes.ts';
export {
  type AuditEntry,
  type AuditService,
  type AuditTarget,
  createAuditService,
  nodeTarget,
} from './audit.service.ts';
export { redact } from './redact.ts';
