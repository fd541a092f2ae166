import { z } from 'zod';
import type { AuditRow } from './audit.repository.ts';

/** An instant: an ISO date-time with its offset, or a date (midnight UTC). */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((value) => new Date(value));

export const auditLogQuery = z
  .strictObject({
    from: instant.optional().describe('Entries at or after this instant (ISO 8601 date-time or date)'),
    to: instant.optional().describe('Entries before this instant (exclusive)'),
    action: z.string().min(1).max(64).optional().describe('Only this action, e.g. `environment.create`'),
    actor: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe("Only entries by this actor: a user's id or an app's client ID"),
    limit: z.coerce
      .number('must be a whole number from 1 to 200')
      .int('must be a whole number from 1 to 200')
      .min(1, 'must be a whole number from 1 to 200')
      .max(200, 'must be a whole number from 1 to 200')
      .default(50)
      .describe('Entries per page, 1 to 200 (default 50)'),
    cursor: z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/, 'must be the nextCursor of a previous page')
      .transform(Number)
      .optional()
      .describe('The `nextCursor` of the previous page'),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { path: ['to'], message: 'must be after from' });

export const auditEntryDto = z.object({
  id: z.string().describe('Increases with time; the keyset of paging'),
  occurredAt: z.iso.datetime(),
  organizationId: z.uuid().nullable().describe('The node the change was made on'),
  actor: z.object({
    type: z.enum(['user', 'app', 'operator', 'anonymous', 'system']),
    id: z.string().nullable().describe("A user's id, an app's client ID or the operator's name"),
  }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  outcome: z.enum(['success', 'failure']),
  before: z.unknown().describe('The state before the change, secrets redacted (null when none)'),
  after: z.unknown().describe('The state after the change, secrets redacted (null when none)'),
  requestId: z.string().nullable(),
});

export const auditLogPageDto = z.object({
  entries: z.array(auditEntryDto).describe('Newest first'),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

export function auditEntryOf(row: AuditRow): z.input<typeof auditEntryDto> {
  return {
    id: String(row.id),
    occurredAt: row.occurredAt.toISOString(),
    organizationId: row.orgId,
    actor: { type: row.actorType as z.infer<typeof auditEntryDto>['actor']['type'], id: row.actorId },
    action: row.action,
    target: row.targetType && row.targetId ? { type: row.targetType, id: row.targetId } : null,
    outcome: row.outcome,
    before: row.before ?? null,
    after: row.after ?? null,
    requestId: row.requestId,
  };
}
