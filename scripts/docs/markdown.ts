// Small pieces shared by the reference generators: JSON Schema (as zod writes it, and as the OpenAPI
// document carries it) turned into the few words a reader needs, and Markdown table cells.

export type JsonSchema = Record<string, unknown>;

/** Inline code, safe for values that hold a backtick. */
export function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** Text fit for one table cell: no line breaks, no column separators. */
export function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');
}

/** Bounds beyond what JSON numbers hold exactly are zod's way of saying "any integer". */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

function range(min: unknown, max: unknown, unit = ''): string {
  const lo = typeof min === 'number' && Math.abs(min) < UNBOUNDED ? min : undefined;
  const hi = typeof max === 'number' && Math.abs(max) < UNBOUNDED ? max : undefined;
  if (lo !== undefined && hi !== undefined) return lo === hi ? `${lo}${unit}` : `${lo}–${hi}${unit}`;
  if (lo !== undefined) return `at least ${lo}${unit}`;
  if (hi !== undefined) return `up to ${hi}${unit}`;
  return '';
}

const FORMATS: Record<string, string> = {
  uri: 'URL',
  uuid: 'UUID',
  email: 'email address',
  'date-time': 'date and time (ISO 8601)',
  date: 'date (YYYY-MM-DD)',
};

/** The alternatives of a union, if the schema is one. */
export function variantsOf(schema: JsonSchema): JsonSchema[] | undefined {
  const list = schema.oneOf ?? schema.anyOf;
  return Array.isArray(list) ? (list as JsonSchema[]) : undefined;
}

/** A schema's type in a few words: `whole number 1–200`, `URL`, `` `web` or `spa` ``, `array of UUID`. */
export function valuesOf(schema: JsonSchema, nullWord = 'empty'): string {
  const variants = variantsOf(schema);
  if (variants) {
    const present = variants.filter((v) => v.type !== 'null');
    const text = [...new Set(present.map((v) => valuesOf(v, nullWord)))].join(' or ');
    return present.length < variants.length ? `${text} or ${nullWord}` : text;
  }
  if (Array.isArray(schema.type)) {
    return valuesOf(
      { ...schema, type: undefined, anyOf: schema.type.map((type) => ({ ...schema, type })) },
      nullWord,
    );
  }
  if ('not' in schema) return 'not allowed: leave it out';
  if ('const' in schema) return code(String(schema.const));
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => code(String(v))).join(', ');
  if (typeof schema.$ref === 'string') return 'object (same shape as its parent)';
  const bounds = (min: unknown, max: unknown, unit = '') => {
    const text = range(min, max, unit);
    return text ? ` ${text}` : '';
  };
  switch (schema.type) {
    case 'integer':
      return `whole number${bounds(schema.minimum, schema.maximum)}`;
    case 'number':
      return `number${bounds(schema.minimum, schema.maximum)}`;
    case 'boolean':
      return 'boolean';
    case 'null':
      return nullWord;
    case 'string': {
      const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
      if (format) return format;
      const nonEmpty = schema.minLength === 1 && schema.maxLength === undefined;
      const length = nonEmpty ? 'not empty' : range(schema.minLength, schema.maxLength, ' characters');
      return length ? `text, ${length}` : 'text';
    }
    case 'array': {
      const items = schema.items as JsonSchema | undefined;
      const atLeastOne = schema.minItems === 1 && schema.maxItems === undefined;
      const count = atLeastOne ? 'not empty' : range(schema.minItems, schema.maxItems, ' items');
      return `array${count ? ` (${count})` : ''} of ${items ? valuesOf(items, nullWord) : 'anything'}`;
    }
    case 'object':
      return schema.properties ? 'object' : 'object of free-form keys';
    default:
      return 'any JSON value';
  }
}
