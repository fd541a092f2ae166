/**
 * Text a tenant typed (an organization's or a person's name), made fit to quote in the body of a
 * plain-text mail (SEC-9): on one line, without control, format or bidi characters (which could
 * reorder or hide what surrounds it), shortened, and with anything a mail client would turn into
 * a link defanged — `https://evil.example/reset` reads `https[://]evil[.]example/reset`, the
 * notation security teams use for addresses that must not be clickable.
 */

/** Longer names are cut: a name is a label, not a place for a message. */
export const QUOTED_MAX_CHARS = 100;

// A dot (or a full stop that IDNA reads as one) inside a word: `evil.example`, `evil。example`.
const DOMAIN_DOT = /(?<=[\p{L}\p{N}_-])[.\u3002\uFF0E\uFF61\u2024\uFE52](?=[\p{L}\p{N}])/gu;
// A scheme's separator (`https://`, `file:\\`, in fullwidth forms too), or a protocol-relative `//host`.
const SCHEME_SEPARATOR = /(?:[:\uFF1A\uFE55]\s*)?[/\\\uFF0F\uFF3C]{2,}/gu;
// The at-sign of an address: `admin@evil`.
const ADDRESS_AT = /(?<=\S)[@\uFF20](?=[\p{L}\p{N}])/gu;

/** The value as plain, unlinkable text on one line; empty when nothing printable is left. */
export function plainTenantText(value: string, maxChars = QUOTED_MAX_CHARS): string {
  const flat = value
    .replace(/[\s\p{Z}]+/gu, ' ')
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu, '')
    .replace(/ {2,}/g, ' ')
    .trim()
    // Our quotes mark where the tenant's text starts and ends: it brings none of its own.
    .replace(/[\u201C\u201D\u201E\u201F\u2033\u2036]/g, '"');
  const chars = Array.from(flat);
  const short =
    chars.length > maxChars
      ? `${chars
          .slice(0, maxChars - 1)
          .join('')
          .trimEnd()}…`
      : flat;
  return short
    .replace(SCHEME_SEPARATOR, (m) => (/^[/\\\uFF0F\uFF3C]/u.test(m) ? '[//]' : '[://]'))
    .replace(DOMAIN_DOT, '[.]')
    .replace(ADDRESS_AT, '[at]');
}

/** The value in typographic quotes, as `plainTenantText` makes it: `“Acme Corp”`. */
export function quotedTenantText(value: string, maxChars = QUOTED_MAX_CHARS): string {
  return `“${plainTenantText(value, maxChars)}”`;
}
