import { type IncomingHttpHeaders, request } from 'node:http';

/**
 * HTTP as an attacker writes it: any `Host` (fetch will not send a chosen one), any request target
 * (including the absolute form `GET http://other.example/path`), any X-Forwarded-* header.
 * Cookies are kept by name, whatever their flags, so the server's Set-Cookie lines can be inspected.
 */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every Set-Cookie line, as sent. */
  setCookies: string[];
  body: string;
}

export interface RawInit {
  method?: string;
  headers?: Record<string, string>;
  form?: Record<string, string>;
  jar?: CookieJar;
}

/** Sends `target` (a path, or an absolute-form URL) to the server listening at `listenUrl`. */
export function rawRequest(listenUrl: string, target: string, init: RawInit = {}): Promise<RawResponse> {
  const { hostname, port, host } = new URL(listenUrl);
  const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
  const headers: Record<string, string> = { host, ...init.headers };
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const cookie = init.jar?.header();
  if (cookie) headers.cookie = cookie;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        path: target,
        method: init.method ?? (body ? 'POST' : 'GET'),
        headers,
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const setCookies = res.headers['set-cookie'] ?? [];
          init.jar?.take(setCookies);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            setCookies,
            body: Buffer.concat(chunks).toString(),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One Set-Cookie line: its name, value and attributes (lower-cased keys; flags map to `true`). */
export function parseSetCookie(line: string) {
  const [pair = '', ...parts] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const part of parts) {
    const at = part.indexOf('=');
    if (at < 0) attributes[part.trim().toLowerCase()] = true;
    else attributes[part.slice(0, at).trim().toLowerCase()] = part.slice(at + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** The attributes of the Set-Cookie line for `name`, if one was sent. */
export function cookieAttributes(setCookies: readonly string[], name: string) {
  return setCookies.map(parseSetCookie).find((c) => c.name === name)?.attributes;
}

/** Cookies by name only (no domain, path or Secure logic): what a forger or a careless client sends. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  take(setCookies: readonly string[]): void {
    for (const { name, value, attributes } of setCookies.map(parseSetCookie)) {
      const expired = String(attributes.expires).includes('01 Jan 1970');
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
