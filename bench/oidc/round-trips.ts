// SQL statements and Redis commands a Canopy server sends per request, counted over a run of
// sequential requests after the measured windows (the counting listeners are off while measuring).

export interface RoundTrips {
  /** Statement label (`select apps`, `insert oidc_models`, …) → count. */
  sql: Record<string, number>;
  /** Redis command name → count. */
  redis: Record<string, number>;
}

/** `verb table` of a SQL statement, enough to tell the round trips apart. */
export function sqlLabel(sql: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? '?';
  const table = /\b(?:from|into|update)\s+"?([\w.]+)"?/i.exec(sql)?.[1];
  return table ? `${verb} ${table}` : verb;
}

/** `label ×per-request` entries, most frequent first; counts divided by the number of requests. */
export function perRequest(counts: Record<string, number>, requests: number): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return 'none';
  return entries.map(([label, n]) => `${label} ×${formatPer(n / requests)}`).join(', ');
}

export function totalPerRequest(counts: Record<string, number>, requests: number): number {
  return Object.values(counts).reduce((a, b) => a + b, 0) / requests;
}

function formatPer(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toFixed(3)));
}
