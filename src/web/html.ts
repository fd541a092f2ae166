/**
 * An auto-escaping HTML template tag. Every `${value}` is escaped unless it is already `SafeHtml`
 * (the result of `html` or `raw`), so markup can only come from template literals in our code.
 *
 * - strings, numbers and other values: escaped (`& < > " ' \``), safe as text and inside
 *   double-quoted attribute values (the only attribute form the templates use);
 * - `null`, `undefined`, `false`: nothing (so `${cond && html`…`}` works);
 * - arrays: each element by these same rules, concatenated;
 * - right after `href="`, `src="`, `action="`, `formaction="` (and the rarer URL attributes): a string is also checked as a URL and
 *   replaced by `about:invalid#refused` unless it is relative or http(s)/mailto (`javascript:` never);
 *   such an attribute takes one value (no arrays, no second value that could complete a scheme),
 *   and a literal start must fix the scheme itself (`href="/login/${domain}"`), else it throws;
 * - after an unquoted `name=`: throws, because no escaping makes an unquoted attribute safe.
 */
export class SafeHtml {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  toString(): string {
    return this.#value;
  }
}

/** Marks a trusted string (never user input) as markup, e.g. a form produced by oidc-provider. */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

const ALLOWED_SCHEMES = new Set(['http', 'https', 'mailto']);
export const REFUSED_URL = 'about:invalid#refused';

/** A URL for an attribute: relative, http(s) or mailto; anything else becomes `REFUSED_URL`. */
export function safeUrl(value: string): string {
  // As the URL parser does: tabs and newlines vanish anywhere, leading controls and spaces are trimmed.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: C0 controls are exactly what the parser trims
  const normalized = value.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+/, '');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(normalized)?.[1]?.toLowerCase();
  return scheme === undefined || ALLOWED_SCHEMES.has(scheme) ? value : REFUSED_URL;
}

const URL_ATTRIBUTE =
  /\s(?:href|src|srcset|action|formaction|poster|cite|data|ping|background)\s*=\s*["']([^"']*)$/i;
const UNQUOTED_ATTRIBUTE = /\s[a-zA-Z_:][-a-zA-Z0-9_:.]*\s*=\s*$/;
/** A literal start of a URL that already fixes its scheme (or its lack of one). */
const SETTLED_PREFIX = /[:/?#]/;

type UrlState = 'none' | 'checked' | 'settled';

/** Where a value lands: in a URL attribute whose scheme it decides ('checked'), or not. */
function urlState(literal: string, previous: UrlState): UrlState {
  const match = URL_ATTRIBUTE.exec(literal);
  if (match) {
    const prefix = match[1]!;
    if (prefix === '') return 'checked';
    if (SETTLED_PREFIX.test(prefix)) return 'settled';
    throw new TypeError(
      `a URL attribute must start with its value or a literal fixing the scheme: …${literal.slice(-30)}`,
    );
  }
  if (/["']/.test(literal)) return 'none';
  // Still inside the same attribute value: a second value after a checked one could complete a scheme.
  if (previous === 'checked') throw new TypeError('a URL attribute takes one value');
  return previous;
}

function render(value: unknown, checkUrl: boolean): string {
  if (value instanceof SafeHtml) return value.toString();
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) {
    if (checkUrl) throw new TypeError('a URL attribute takes a string, not an array');
    return value.map((v) => render(v, false)).join('');
  }
  const text = String(value);
  return escapeHtml(checkUrl ? safeUrl(text) : text);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  let state: UrlState = 'none';
  for (let i = 0; i < values.length; i++) {
    const before = strings[i]!;
    if (UNQUOTED_ATTRIBUTE.test(before)) {
      throw new TypeError(`unquoted attribute value in template: …${before.slice(-30)}`);
    }
    state = urlState(before, state);
    out += render(values[i], state === 'checked') + strings[i + 1]!;
  }
  return new SafeHtml(out);
}
