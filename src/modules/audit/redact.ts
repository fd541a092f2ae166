// Audit before/after images keep their shape but never a secret's value (AUD-1).
const SECRET_KEY = /secret|password|token|sealed|hash/i;

export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && inner !== null && inner !== undefined ? '[redacted]' : redact(inner);
  }
  return out;
}
