import { z } from 'zod';
import { tenantOf } from '../../platform/context.ts';
import { defineRoute, idParam } from '../../platform/http/route.ts';
import { auditEntryOf, auditLogPageDto, auditLogQuery } from './audit.dto.ts';
import type { AuditLogReader } from './audit.reader.ts';

const orgIdParams = z.object({ orgId: idParam.describe('Id of a master organization or business group') });

/** AUD-2 on the admin API: a node's audit log and its descendants', page by page. */
export function auditRoutes(deps: { auditLog: AuditLogReader }) {
  return [
    defineRoute({
      method: 'get',
      path: '/organizations/:orgId/audit-log',
      tag: 'Audit',
      summary: 'Read the audit log of a node and the business groups below it (AUD-2)',
      description:
        'Newest first. Filter by time (`from` inclusive, `to` exclusive), `action` and `actor`; page with ' +
        '`limit` and the `nextCursor` of the previous page. On the master organization, the whole ' +
        "organization's log, including business groups since deleted. Secrets are redacted.",
      permission: 'audit.view',
      params: orgIdParams,
      query: auditLogQuery,
      status: 200,
      response: auditLogPageDto,
      handler: async ({ ctx, params, query }) => {
        const page = await deps.auditLog.page(ctx, tenantOf(ctx), params.orgId, query);
        return { entries: page.entries.map(auditEntryOf), nextCursor: page.nextCursor };
      },
    }),
  ];
}
