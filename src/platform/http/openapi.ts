import { z } from 'zod';
import { type ErrorCode, errorCodes } from '../errors/index.ts';
import type { AnyRoute } from './route.ts';

type JsonSchema = Record<string, unknown>;

const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message', 'requestId'],
  properties: {
    code: { type: 'string', description: 'Stable dotted error code, e.g. `business_group.has_children`' },
    message: { type: 'string' },
    details: { type: 'object', description: 'Machine-readable specifics, e.g. the offending fields' },
    requestId: { type: 'string', description: 'Quote it when reporting a problem' },
  },
};

/** Every route can answer these (a malformed or oversized JSON body is refused before any route). */
const COMMON_ERRORS: ErrorCode[] = [
  'request.invalid_input',
  'request.too_large',
  'auth.unauthenticated',
  'auth.permission_denied',
  'request.not_found',
  'request.rate_limited',
  'internal',
];

function schemaOf(type: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...schema } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as JsonSchema;
  return schema;
}

function parametersOf(route: AnyRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, type] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!type) continue;
    const schema = schemaOf(type, 'input') as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === 'path' || (schema.required ?? []).includes(name),
        ...(typeof property.description === 'string' ? { description: property.description } : {}),
        schema: property,
      });
    }
  }
  return out;
}

function errorResponses(route: AnyRoute): Record<string, JsonSchema> {
  const codes = [...COMMON_ERRORS, ...(route.errors ?? [])];
  if (route.params || route.query || route.body) codes.push('request.invalid_input');
  const byStatus = new Map<number, string[]>();
  for (const code of new Set(codes)) {
    const { status } = errorCodes[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((c) => `\`${c}\``).join(', '),
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
}

/** OpenAPI 3.1 (JSON Schema 2020-12) from the routes' own schemas: the document cannot drift from the code. */
export function openApiDocument(routes: readonly AnyRoute[], info: { version: string; serverUrl: string }) {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const operation: JsonSchema = {
      operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/(^|[/-])([a-z])/g, (_m, _s, c: string) => c.toUpperCase())}`,
      summary: route.summary,
      ...(route.description || route.permission
        ? {
            description: [route.description, route.permission ? `Needs \`${route.permission}\`.` : undefined]
              .filter(Boolean)
              .join('\n\n'),
          }
        : {}),
      tags: [route.tag],
      ...(route.public ? { security: [] } : {}),
      parameters: parametersOf(route),
      ...(route.body
        ? {
            requestBody: {
              // Optional when an empty object is a valid body (e.g. every field has a default).
              required: !route.body.safeParse({}).success,
              content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [String(route.status)]:
          route.status === 204 || !route.response
            ? { description: 'Done' }
            : {
                description: 'OK',
                content: { 'application/json': { schema: schemaOf(route.response, 'output') } },
              },
        ...errorResponses(route),
      },
    };
    paths[path] = { ...paths[path], [route.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Canopy admin API',
      version: info.version,
      description:
        'Everything an organization administrator does. Authenticate with a bearer access token issued by ' +
        'Canopy: a user token from a first-party app (the console), or a service app token from the client ' +
        'credentials grant with the permissions it needs as scopes.',
    },
    servers: [{ url: `${info.serverUrl}/api/v1` }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}
