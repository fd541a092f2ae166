export { analyticsRoutes } from './analytics.routes.ts';
export {
  type AnalyticsService,
  createAnalyticsService,
  MAX_RANGE_DAYS,
  type UsageCounts,
  type UsageReport,
} from './analytics.service.ts';
export { createUsageRecorder, type UsageRecorder, type UsageRecorderOptions } from './usage.recorder.ts';
export { sweepUsageBefore, usageCutoffDay } from './usage.retention.ts';
export { USAGE_METRICS, type UsageEvent, type UsageMetric } from './usage.schema.ts';
