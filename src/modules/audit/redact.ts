// Audit before/after images keep their shape but never a secret's value (AUD-1).
const SECRET_KEY = /secret|password|token|sealed|hash/i;
// Keyed digests written to be read (SEC-12): without the key they reveal nothing, and checking a
// name against one is their whole purpose.
const READABLE_DIGESTS = new Set(['usernameHash']);
// Settings whose names only mention a secret: the password policy's minimum length (ACC-4).
const POLICY_SETTINGS = new Set(['passwordMinLength']);

export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const secret = SECRET_KEY.test(key) && !READABLE_DIGESTS.has(key) && !POLICY_SETTINGS.has(key);
    out[key] = secret && inner !== null && inner !== undefined ? '[redacted]' : redact(inner);
  }
  return out;
}
