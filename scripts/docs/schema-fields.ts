import { cell, code, type JsonSchema, valuesOf, variantsOf } from './markdown.ts';

// A JSON object schema as a table of fields, nested objects flattened into dotted names
// (`grants[].organizationId`), so that a body or an answer reads top to bottom without a viewer.

export interface Field {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

/** Deeper than this, a reader is better served by the OpenAPI document. */
const MAX_DEPTH = 4;

function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> | undefined {
  return schema.type === 'object' && schema.properties
    ? (schema.properties as Record<string, JsonSchema>)
    : undefined;
}

/** The object a field holds, itself or in a list or beside `null`, and how its children are named. */
function nestedObject(schema: JsonSchema): { schema: JsonSchema; suffix: string } | undefined {
  if (propertiesOf(schema)) return { schema, suffix: '.' };
  if (schema.type === 'array' && schema.items) {
    const items = schema.items as JsonSchema;
    if (propertiesOf(items)) return { schema: items, suffix: '[].' };
  }
  const present = variantsOf(schema)?.filter((v) => v.type !== 'null');
  if (present?.length === 1) return nestedObject(present[0]!);
  return undefined;
}

function descriptionOf(schema: JsonSchema): string {
  const parts: string[] = [];
  const own = schema.description ?? variantsOf(schema)?.find((v) => v.description)?.description;
  if (typeof own === 'string') parts.push(own.endsWith('.') ? own : `${own}.`);
  if ('default' in schema) parts.push(`Default ${code(JSON.stringify(schema.default))}.`);
  return parts.join(' ');
}

/** The shapes of a union of objects (`kind: saml` or `kind: oidc`), itself or in a list. */
export function objectVariants(schema: JsonSchema): JsonSchema[] | undefined {
  const present = variantsOf(schema)?.filter((v) => v.type !== 'null');
  return present && present.length > 1 && present.every((v) => propertiesOf(v)) ? present : undefined;
}

/** The property every shape fixes to a constant of its own: the one that tells them apart. */
function discriminatorOf(variants: JsonSchema[]): string | undefined {
  return Object.keys(propertiesOf(variants[0]!) ?? {}).find((key) =>
    variants.every((v) => {
      const property = propertiesOf(v)?.[key];
      return property !== undefined && 'const' in property;
    }),
  );
}

const sameField = (a: Field, b: Field) =>
  a.name === b.name && a.type === b.type && a.required === b.required && a.description === b.description;

/**
 * One table for several shapes: a field all of them share is listed once, the others say which
 * shape they belong to, and the field that tells the shapes apart lists every value it takes.
 */
function unionFields(variants: JsonSchema[], prefix: string, depth: number): Field[] {
  const key = discriminatorOf(variants);
  const perVariant = variants.map((v) => fieldsOf(v, prefix, depth));
  const fields: Field[] = [];
  perVariant.forEach((list, i) => {
    const variant = propertiesOf(variants[i]!)!;
    const when = key ? `${code(key)} is ${code(String(variant[key]!.const))}` : `shape ${i + 1}`;
    for (const field of list) {
      if (key && field.name === `${prefix}${key}`) {
        if (i > 0) continue;
        const values = variants.map((v) => code(String(propertiesOf(v)![key]!.const)));
        fields.push({ ...field, type: values.join(' or '), description: 'Says which shape the rest has.' });
      } else if (perVariant.every((other) => other.some((f) => sameField(f, field)))) {
        if (i === 0) fields.push(field);
      } else {
        const description = `Only when ${when}.${field.description ? ` ${field.description}` : ''}`;
        fields.push({ ...field, description });
      }
    }
  });
  return fields;
}

/** The fields of an object schema (or of a union of them), parents before their children. */
export function fieldsOf(schema: JsonSchema, prefix = '', depth = 0): Field[] {
  const variants = objectVariants(schema);
  if (variants) return unionFields(variants, prefix, depth);
  const properties = propertiesOf(schema);
  if (!properties) return [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const fields: Field[] = [];
  for (const [name, property] of Object.entries(properties)) {
    fields.push({
      name: `${prefix}${name}`,
      type: valuesOf(property, 'null'),
      required: required.has(name),
      description: descriptionOf(property),
    });
    if (depth >= MAX_DEPTH) continue;
    const nested = nestedObject(property);
    if (nested) fields.push(...fieldsOf(nested.schema, `${prefix}${name}${nested.suffix}`, depth + 1));
    const items = property.type === 'array' ? (property.items as JsonSchema) : property;
    if (!nested && objectVariants(items)) {
      const suffix = items === property ? '.' : '[].';
      fields.push(...fieldsOf(items, `${prefix}${name}${suffix}`, depth + 1));
    }
  }
  return fields;
}

/** A Markdown table of fields; `presence` heads the column that says whether a field is always there. */
export function fieldTable(fields: readonly Field[], presence: string): string {
  return [
    `| Field | Type | ${presence} | Description |`,
    '|---|---|---|---|',
    ...fields.map(
      (f) => `| ${code(f.name)} | ${cell(f.type)} | ${f.required ? 'yes' : 'no'} | ${cell(f.description)} |`,
    ),
  ].join('\n');
}
