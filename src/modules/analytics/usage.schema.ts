/** What ANL-1 counts per day. */
export const USAGE_METRICS = ['sign_in_success', 'sign_in_failure', 'token_issued', 'introspection'] as const;

export type UsageMetric = (typeof USAGE_METRICS)[number];

/** One counted event, attributed to a node of a tenant and, when known, an environment and an app. */
export interface UsageEvent {
  tenantId: string;
  /** The node the usage belongs to: the master for sign-ins and apps, the credentials' node otherwise. */
  orgId: string;
  environmentId?: string | null;
  /** The app's client ID (apps only; org and environment credentials are counted by node and environment). */
  clientId?: string | null;
  metric: UsageMetric;
}

/** One counter row: an event's dimensions, its UTC day (YYYY-MM-DD) and how many times it happened. */
export interface UsageCount {
  tenantId: string;
  orgId: string;
  environmentId: string | null;
  clientId: string | null;
  day: string;
  metric: UsageMetric;
  count: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
