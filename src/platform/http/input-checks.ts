// REL-1: what every piece of arriving text must be before anything reads it — valid UTF-8 after
// percent-decoding, no NUL (PostgreSQL refuses 0x00 in text), no lone surrogate (it would be
// stored as U+FFFD), and JSON no deeper than a person's data ever is. Pure functions: the guard
// (input-guard.ts) and the body parsers (body-parsers.ts) apply them and answer the problem.

/** One refused piece of input: the field it names and what is wrong with it, for a 400. */
export interface InputProblem {
  field: string;
  problem: string;
}

/** Deeper than any body Canopy takes (a few levels) by far, and shallow enough to walk cheaply. */
export const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text, or undefined when they are not UTF-8 (never replaced with U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A body declared in a charset other than UTF-8 (none means UTF-8): body-parser and the provider
 * would decode its bytes as that charset (`%C3%A9` read as latin1 is `Ã©`) after they were checked
 * as UTF-8. Every `charset` parameter counts, quoted or not; an odd Content-Type errs on refusing.
 */
export function charsetProblem(contentType: string | undefined): InputProblem | undefined {
  for (const param of (contentType ?? '').split(';').slice(1)) {
    const at = param.indexOf('=');
    if (at < 0 || param.slice(0, at).trim().toLowerCase() !== 'charset') continue;
    const value = param
      .slice(at + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (value.toLowerCase() !== 'utf-8') {
      return {
        field: '(body)',
        problem: 'declares a charset other than UTF-8 (send charset=utf-8, or none)',
      };
    }
  }
  return undefined;
}

/**
 * `decodeURIComponent` refuses exactly what must be refused: malformed escapes (`%E0%A4%A`), bytes
 * that are not UTF-8 (`%FF`), overlong forms (`%C0%AF`) and encoded surrogates (`%ED%A0%80`).
 */
function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** What is wrong with a decoded text, if anything. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'contains a NUL character';
  if (!text.isWellFormed()) return 'contains a lone surrogate (not valid Unicode)';
  return undefined;
}

/** Every segment of the path as sent (not decoded) must decode to clean text. */
export function pathProblem(rawPath: string): InputProblem | undefined {
  const segments = rawPath.split('/');
  for (let i = 1; i < segments.length; i++) {
    const decoded = percentDecode(segments[i]!);
    const problem = decoded === undefined ? 'is not valid percent-encoded UTF-8' : textProblem(decoded);
    if (problem) return { field: 'path', problem: `segment ${i} ${problem}` };
  }
  return undefined;
}

/** A parameter name fit to quote back: short and printable, else described instead. */
function nameOf(name: string | undefined): string | undefined {
  if (name === undefined || name.length === 0 || name.length > 64) return undefined;
  return /^[\p{L}\p{N}\p{P}\p{S} ]+$/u.test(name) ? name : undefined;
}

/**
 * `application/x-www-form-urlencoded` text, as a query string or a form body (`where` says which):
 * every name and value must percent-decode to clean text. `+` is a space, `&` the only separator
 * (as both Express's query parser and body-parser read it).
 */
export function formProblem(text: string, where: 'query string' | 'form body'): InputProblem | undefined {
  const textual = textProblem(text);
  if (textual) return { field: where === 'query string' ? '(query)' : '(body)', problem: textual };
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const rawName = (at < 0 ? pair : pair.slice(0, at)).replaceAll('+', ' ');
    const name = percentDecode(rawName);
    const nameProblem = name === undefined ? 'is not valid percent-encoded UTF-8' : textProblem(name);
    if (nameProblem) {
      return { field: where === 'query string' ? '(query)' : '(body)', problem: `a name ${nameProblem}` };
    }
    const value = at < 0 ? '' : percentDecode(pair.slice(at + 1).replaceAll('+', ' '));
    const valueProblem = value === undefined ? 'is not valid percent-encoded UTF-8' : textProblem(value);
    if (valueProblem) {
      const field = nameOf(name) ?? (where === 'query string' ? '(query)' : '(body)');
      return { field, problem: `${valueProblem} (${where})` };
    }
  }
  return undefined;
}

/**
 * JSON text nested deeper than `MAX_JSON_DEPTH`, found by counting brackets outside strings:
 * before parsing, so no parser or walker ever recurses through a hostile document.
 */
export function jsonDepthProblem(text: string): InputProblem | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character; a quote ends the string.
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) {
        return { field: '(body)', problem: `is nested deeper than ${MAX_JSON_DEPTH} levels` };
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/**
 * A parsed JSON value (no deeper than `MAX_JSON_DEPTH`): every string in it, keys included, must
 * be clean. A `\u0000` or a lone `\ud800` escape parses without complaint; this is where they stop.
 */
export function jsonValueProblem(value: unknown, at = ''): InputProblem | undefined {
  const field = at || '(body)';
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? { field, problem } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, member] of Object.entries(value)) {
    const keyProblem = textProblem(key);
    if (keyProblem) return { field, problem: `a member name ${keyProblem}` };
    const found = jsonValueProblem(member, at ? `${at}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}
