import { tenantOf } from '../../platform/context.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { analyticsParams, analyticsQuery, usageReportDto } from './analytics.dto.ts';
import type { AnalyticsService } from './analytics.service.ts';

/** ANL-1 on the admin API. */
export function analyticsRoutes(deps: { analytics: AnalyticsService }) {
  return [
    defineRoute({
      method: 'get',
      path: '/organizations/:orgId/analytics',
      tag: 'Analytics',
      summary: 'Usage per day of a node and the business groups below it (ANL-1)',
      description:
        'Sign-ins (succeeded and failed), tokens issued and introspections per UTC day, in total and by ' +
        'node, environment and app. Counts are collected on each node and written every few seconds.',
      permission: 'analytics.view',
      params: analyticsParams,
      query: analyticsQuery,
      status: 200,
      response: usageReportDto,
      errors: ['environment.not_found'],
      handler: async ({ ctx, params, query }) => {
        const report = await deps.analytics.usage(ctx, tenantOf(ctx), params.orgId, query);
        return {
          ...report,
          rows: report.rows.map(({ orgId, ...row }) => ({ ...row, organizationId: orgId })),
        };
      },
    }),
  ];
}
