import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../platform/clock.ts';

/**
 * SEC-6: the device cookie (OWASP's "device cookie" lockout). A browser that signs in to an account
 * with its password receives a cookie vouching for it: a random device id and, per account it has
 * signed in to, a keyed tag of (tenant, user id) with an expiry, MAC'd as a whole. While it holds a
 * valid entry for an account, the browser is throttled on that account by its own failures only
 * (its device id is its source); failures made elsewhere cannot lock it out.
 *
 *   K     = HKDF-SHA256(ikm = the key material given, salt = "canopy/web", info = "sign-in device/v1")
 *   tag   = base64url(HMAC-SHA256(K, "account\n<tenant id>\n<user id>")[0..16])
 *   value = "v1.<payload>.<mac>"    payload = base64url(JSON {d: device id, a: [[tag, exp], …]})
 *   mac   = base64url(HMAC-SHA256(K, "canopy-device/v1\n<payload>"))
 *
 * The tag names the account without saying which one to whoever reads the cookie, and cannot be
 * made for another account without the key; a forged, altered or expired entry vouches for nothing.
 * Unknown usernames have no user id, so no cookie ever vouches for one. A shared browser keeps the
 * `MAX_ACCOUNTS` accounts it signed in to most recently.
 */
export const MAX_ACCOUNTS = 10;
const TAG = /^[A-Za-z0-9_-]{22}$/;
const DEVICE_ID = /^[A-Za-z0-9_-]{22}$/;
const VALUE = /^v1\.([A-Za-z0-9_-]{1,2000})\.([A-Za-z0-9_-]{43})$/;

interface Payload {
  d: string;
  a: Array<[string, number]>;
}

export interface DeviceCookies {
  /** The device id a genuine, unexpired one of these cookies vouches for this account with. */
  deviceFor(values: readonly string[], tenantId: string, userId: string): string | undefined;
  /** The cookie after a password sign-in to this account: the same device, this account first. */
  afterSignIn(values: readonly string[], tenantId: string, userId: string): string;
  /** How long an entry (and the cookie) lives. */
  readonly maxAgeSeconds: number;
}

export function createDeviceCookies(options: {
  /** Key material: one key, or a ring whose first key makes cookies and every key reads them (SEC-11). */
  key: Buffer | readonly Buffer[];
  clock: Clock;
  days: number;
}): DeviceCookies {
  const material = Buffer.isBuffer(options.key) ? [options.key] : (options.key ?? []);
  if (material.length === 0 || material.some((k) => !Buffer.isBuffer(k) || k.length < 32)) {
    throw new Error('the device cookie key material must be a Buffer of at least 32 bytes');
  }
  const keys = material.map((k) => Buffer.from(hkdfSync('sha256', k, 'canopy/web', 'sign-in device/v1', 32)));
  const maxAgeSeconds = options.days * 86_400;
  const nowSeconds = () => Math.floor(options.clock.now().getTime() / 1000);
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
  const tagOf = (key: Buffer, tenantId: string, userId: string) =>
    hmac(key, `account\n${tenantId}\n${userId}`).subarray(0, 16).toString('base64url');
  const macOf = (key: Buffer, payload: string) => hmac(key, `canopy-device/v1\n${payload}`);

  /** A genuine cookie's payload (without expired entries) and the key that made it; undefined for anything else. */
  function open(value: string | undefined): { payload: Payload; key: Buffer } | undefined {
    const parts = value ? VALUE.exec(value) : null;
    if (!parts) return undefined;
    const [, payload, mac] = parts as unknown as [string, string, string];
    const given = Buffer.from(mac, 'base64url');
    const key = keys.find((k) => {
      const expected = macOf(k, payload);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!key) return undefined;
    const parsed = parsePayload(payload);
    if (!parsed) return undefined;
    const now = nowSeconds();
    return { payload: { d: parsed.d, a: parsed.a.filter(([, exp]) => exp > now) }, key };
  }

  const vouchesFor = (opened: { payload: Payload; key: Buffer }, tenantId: string, userId: string) => {
    const tag = tagOf(opened.key, tenantId, userId);
    return opened.payload.a.some(([t]) => t === tag);
  };

  return {
    maxAgeSeconds,
    deviceFor(values, tenantId, userId) {
      for (const value of values) {
        const opened = open(value);
        if (opened && vouchesFor(opened, tenantId, userId)) return opened.payload.d;
      }
      return undefined;
    },
    afterSignIn(values, tenantId, userId) {
      // The genuine cookie this browser holds (the one vouching for this account, if any): kept and extended.
      const genuine = values.map(open).filter((o) => o !== undefined);
      const previous = genuine.find((o) => vouchesFor(o, tenantId, userId)) ?? genuine[0];
      const tag = tagOf(keys[0]!, tenantId, userId);
      // Entries tagged under an older ring key cannot be re-tagged (their accounts are unknown): dropped.
      const others =
        previous && previous.key === keys[0] ? previous.payload.a.filter(([t]) => t !== tag) : [];
      const mine: [string, number] = [tag, nowSeconds() + maxAgeSeconds];
      const next: Payload = {
        d: previous?.payload.d ?? randomBytes(16).toString('base64url'),
        a: [mine, ...others].slice(0, MAX_ACCOUNTS),
      };
      const payload = Buffer.from(JSON.stringify(next), 'utf8').toString('base64url');
      return `v1.${payload}.${macOf(keys[0]!, payload).toString('base64url')}`;
    },
  };
}

/** A payload of the expected shape only (it was MAC'd by us, but a key may outlive a format). */
function parsePayload(payload: string): Payload | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { d, a } = value as Record<string, unknown>;
    if (typeof d !== 'string' || !DEVICE_ID.test(d) || !Array.isArray(a) || a.length > MAX_ACCOUNTS) {
      return undefined;
    }
    const entries = a.filter(
      (e): e is [string, number] =>
        Array.isArray(e) &&
        e.length === 2 &&
        typeof e[0] === 'string' &&
        TAG.test(e[0]) &&
        Number.isSafeInteger(e[1]),
    );
    return entries.length === a.length ? { d, a: entries } : undefined;
  } catch {
    return undefined;
  }
}
