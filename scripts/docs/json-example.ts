import type { JsonSchema } from './markdown.ts';
import { variantsOf } from './markdown.ts';

// Example JSON written from a schema. The generator shows one only when the route's own zod schema
// accepts it, so an example on the page is always one the server takes (or could answer).

const BY_FORMAT: Record<string, string> = {
  uuid: '2b3645d7-1c4e-4b8a-9f3e-5a7d1e0c9b21',
  uri: 'https://app.example.com/callback',
  email: 'sam@acme.example',
  'date-time': '2026-12-07T09:30:00.000Z',
  date: '2026-12-07',
};

/** Example text by field name, where a name says more than a type. */
const BY_NAME: Record<string, string> = {
  domain: 'acme',
  username: 'sam',
  emails: 'sam@acme.example',
  permissions: 'users.invite',
  group: 'acme-admins',
  issuer: 'https://login.acme.example',
  clientId: 'canopy',
  clientSecret: 'secret-from-the-provider',
  entityId: 'https://idp.acme.example/saml',
  ssoUrl: 'https://idp.acme.example/sso',
  redirectUris: 'https://app.example.com/callback',
  postLogoutRedirectUris: 'https://app.example.com/',
  password: 'correct horse battery staple',
  companyName: 'Acme Corp',
  email: 'sam@acme.example',
};

function exampleString(schema: JsonSchema, text: string): string {
  if (typeof schema.format === 'string' && BY_FORMAT[schema.format]) return BY_FORMAT[schema.format]!;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  return text.length >= min ? text : text.padEnd(min, 'x');
}

function exampleNumber(schema: JsonSchema): number {
  const min = typeof schema.minimum === 'number' && schema.minimum > -1e15 ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' && schema.maximum < 1e15 ? schema.maximum : undefined;
  if (min !== undefined) return min;
  return max !== undefined ? Math.min(max, 1) : 1;
}

/** Candidates, smallest first: the required fields, those plus one more each, then every field. */
export function exampleCandidates(schema: JsonSchema, name?: string): unknown[] {
  const names = name ? { ...BY_NAME, name } : BY_NAME;
  const required = exampleOf(schema, false, '', names);
  const full = exampleOf(schema, true, '', names);
  const candidates = [required];
  if (isPlainObject(full) && isPlainObject(required)) {
    for (const [key, value] of Object.entries(full))
      if (!(key in required)) candidates.push({ ...required, [key]: value });
  }
  return [...candidates, full];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * One value the schema describes. `full` fills optional fields too; otherwise only required ones.
 * Defaults and the first of several choices stand in where the schema says nothing better.
 */
export function exampleOf(schema: JsonSchema, full: boolean, name = '', names = BY_NAME): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('default' in schema && !full) return schema.default;
  const variants = variantsOf(schema);
  if (variants) return exampleOf(variants.find((v) => v.type !== 'null') ?? variants[0]!, full, name, names);
  switch (schema.type) {
    case 'string':
      return exampleString(schema, names[name] ?? 'text');
    case 'integer':
    case 'number':
      return 'default' in schema ? schema.default : exampleNumber(schema);
    case 'boolean':
      return 'default' in schema ? schema.default : false;
    case 'null':
      return null;
    case 'array': {
      const items = schema.items as JsonSchema | undefined;
      return items ? [exampleOf(items, full, name, names)] : [];
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const out: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(properties)) {
        const forbidden = 'not' in property; // a field a request may not carry (`z.never()`)
        if (!forbidden && (full || required.has(key))) out[key] = exampleOf(property, full, key, names);
      }
      return out;
    }
    default:
      return {};
  }
}
