/**
 * A minimal browser for protocol tests: keeps cookies per origin path-agnostically (enough for
 * one host), follows nothing by itself so each hop can be inspected, and reads form fields.
 */
export class TestBrowser {
  readonly #cookies = new Map<string, string>();
  /** Headers sent with every request (e.g. `x-forwarded-for`, to come from another address behind a proxy). */
  readonly headers: Record<string, string>;

  constructor(options: { headers?: Record<string, string> } = {}) {
    this.headers = { ...options.headers };
  }

  /** A cookie this browser holds. */
  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** Plants (or replaces) a cookie, as another page or a forger could. */
  setCookie(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  async request(
    url: string | URL,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.#cookies.size > 0) headers.cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return res;
  }

  /** Follows redirects from `url` until a response that is not a redirect, or one leaving `origin`. */
  async follow(url: string | URL, origin: string, init: { form?: Record<string, string> } = {}) {
    let res = await this.request(url, init);
    let at = new URL(url);
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get('location')!, at);
      if (next.origin !== origin) return { res, location: next };
      at = next;
      res = await this.request(next);
    }
    return { res, location: at };
  }
}

/** The value of a named input in an HTML page. */
export function inputValue(page: string, name: string): string | undefined {
  const match = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(page);
  return match?.[1]?.replace(/&amp;/g, '&');
}

/** The action of the first form whose action matches. */
export function formAction(page: string, pattern: RegExp): string | undefined {
  for (const m of page.matchAll(/<form[^>]*action="([^"]*)"/g))
    if (pattern.test(m[1]!)) return m[1]!.replace(/&amp;/g, '&');
  return undefined;
}
