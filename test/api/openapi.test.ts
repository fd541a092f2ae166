import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import request from 'supertest';
import { apiRoutes, publicApiRoutes } from '../../src/api/index.ts';
import { createApp } from '../../src/app.ts';
import { errorCodes } from '../../src/platform/errors/index.ts';
import type { AnyRoute } from '../../src/platform/http/route.ts';
import { routeKey } from '../helpers/api-requests.ts';
import { createApiTestEnv } from '../helpers/api-world.ts';
import type { TestEnv } from '../helpers/test-container.ts';

// Issue 4 §7: the OpenAPI 3.1 document at /api/v1/openapi.json covers every route of
// `apiRoutes(c)` and `publicApiRoutes(c)` with its statuses, and is a well-formed document (shape, unique operation ids,
// every $ref resolves, every path parameter declared, every schema a valid JSON Schema 2020-12).

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema: Json }[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Json }> }>;
  security?: unknown[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The parts of the OpenAPI 3.1 shape this document uses, strictly: a typo in a key fails. */
const OPENAPI_SHAPE = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { const: '3.1.0' },
    info: { type: 'object', required: ['title', 'version'], properties: { title: { type: 'string' } } },
    servers: { type: 'array', items: { type: 'object', required: ['url'] } },
    paths: {
      type: 'object',
      propertyNames: { pattern: '^/' },
      additionalProperties: {
        type: 'object',
        propertyNames: { enum: [...METHODS, 'parameters', 'summary', 'description'] },
        additionalProperties: { $ref: '#/$defs/operation' },
      },
    },
    components: { type: 'object' },
    security: { type: 'array' },
    tags: { type: 'array' },
  },
  $defs: {
    operation: {
      type: 'object',
      required: ['responses'],
      additionalProperties: false,
      properties: {
        operationId: { type: 'string', minLength: 1 },
        summary: { type: 'string' },
        description: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        security: { type: 'array' },
        parameters: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'in', 'schema'],
            properties: {
              name: { type: 'string', minLength: 1 },
              in: { enum: ['path', 'query', 'header', 'cookie'] },
              required: { type: 'boolean' },
              schema: { type: 'object' },
            },
          },
        },
        requestBody: { type: 'object', required: ['content'] },
        responses: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^([1-5][0-9X]{2}|default)$' },
          additionalProperties: {
            type: 'object',
            required: ['description'],
            properties: { content: { type: 'object' } },
          },
        },
      },
    },
  },
};

const templateOf = (route: AnyRoute) => route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Every `$ref` in the document, with where it sits. */
function refsIn(value: unknown, at: string, out: [string, string][] = []): [string, string][] {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) refsIn(v, `${at}/${i}`, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push([at, v]);
      else refsIn(v, `${at}/${k}`, out);
    }
  }
  return out;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined),
      doc,
    );
}

describe('admin API: the OpenAPI document', () => {
  let env: TestEnv;
  let doc: Document;
  let routes: AnyRoute[];
  before(async () => {
    env = await createApiTestEnv();
    routes = [...publicApiRoutes(env.container), ...apiRoutes(env.container)];
    const res = await request(createApp(env.container)).get('/api/v1/openapi.json'); // no token: public
    assert.equal(res.status, 200);
    doc = res.body;
  });
  after(() => env.close());

  test('is OpenAPI 3.1 in shape', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(OPENAPI_SHAPE);
    assert.ok(validate(doc), ajv.errorsText(validate.errors));
  });

  test('lists every route (apiRoutes and publicApiRoutes) with its status and every error status it may answer', () => {
    const problems: string[] = [];
    for (const route of routes) {
      const op = doc.paths[templateOf(route)]?.[route.method];
      if (!op) {
        problems.push(`${routeKey(route)} is missing`);
        continue;
      }
      const expected = new Set([
        String(route.status),
        ...(route.errors ?? []).map((e) => String(errorCodes[e].status)),
      ]);
      if (!route.public) for (const s of ['401', '403', '404', '429', '500']) expected.add(s);
      if (route.params || route.query || route.body) expected.add('400');
      for (const status of expected)
        if (!op.responses[status]) problems.push(`${routeKey(route)} lacks ${status}`);
      const success = op.responses[String(route.status)];
      if (route.status === 204 && success?.content) problems.push(`${routeKey(route)}: a 204 has a body`);
      if (route.status !== 204 && route.response && !success?.content?.['application/json'])
        problems.push(`${routeKey(route)}: its ${route.status} has no JSON schema`);
      if (route.body && !op.requestBody?.content['application/json'])
        problems.push(`${routeKey(route)}: takes a body the document does not describe`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (
          Number(status) >= 400 &&
          response.content?.['application/json']?.schema.$ref !== '#/components/schemas/Error'
        )
          problems.push(`${routeKey(route)}: its ${status} is not the error envelope`);
      }
    }
    const known = new Set(routes.map((r) => `${r.method} ${templateOf(r)}`));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (!known.has(`${method} ${path}`)) problems.push(`${method.toUpperCase()} ${path} is not a route`);
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('operation ids are unique, every $ref resolves, every path parameter is declared', () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
      'duplicate operationIds',
    );
    // OpenAPI 3.1: a Schema Object without `$id` resolves `#…` against the document itself.
    const dangling = Object.entries(doc.paths)
      .flatMap(([path, item]) =>
        Object.entries(item).flatMap(([method, op]) =>
          refsIn(op, '#').map(([, ref]): [string, string] => [`${method.toUpperCase()} ${path}`, ref]),
        ),
      )
      .concat(refsIn(doc.components, '#').map(([, ref]): [string, string] => ['components', ref]))
      .filter(([, ref]) => resolvePointer(doc, ref) === undefined)
      .map(([where, ref]) => `${where}: ${ref}`);
    assert.deepEqual([...new Set(dangling)], [], 'unresolved $refs');
    const problems: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
        for (const name of inTemplate) {
          const p = declared.find((d) => d.name === name);
          if (!p) problems.push(`${where}: {${name}} is not declared`);
          else if (p.required !== true) problems.push(`${where}: {${name}} is not required`);
        }
        for (const p of declared)
          if (!inTemplate.includes(p.name)) problems.push(`${where}: ${p.name} is not in the path`);
        const keys = (op.parameters ?? []).map((p) => `${p.in}:${p.name}`);
        if (new Set(keys).size !== keys.length) problems.push(`${where}: a parameter is declared twice`);
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('every schema in it is valid JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const problems: string[] = [];
    const compile = (where: string, schema: Json) => {
      try {
        ajv.compile({ ...schema, components: doc.components });
      } catch (err) {
        problems.push(`${where}: ${(err as Error).message}`);
      }
    };
    for (const [name, schema] of Object.entries(doc.components.schemas))
      compile(`components.schemas.${name}`, schema);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        for (const p of op.parameters ?? []) compile(`${where} parameter ${p.name}`, p.schema);
        const body = op.requestBody?.content['application/json']?.schema;
        if (body) compile(`${where} body`, body);
        for (const [status, r] of Object.entries(op.responses)) {
          const schema = r.content?.['application/json']?.schema;
          if (schema) compile(`${where} ${status}`, schema);
        }
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('docs/api.md lists every route, and no route that is gone', () => {
    const guide = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const listed = new Set([...guide.matchAll(/^\| `([A-Z]+ \/[^`]*)` \|/gm)].map((m) => m[1]!));
    const actual = new Set(routes.map((r) => `${r.method.toUpperCase()} ${r.path}`));
    assert.deepEqual(
      [...actual].filter((r) => !listed.has(r)),
      [],
      'routes missing from docs/api.md',
    );
    assert.deepEqual(
      [...listed].filter((r) => !actual.has(r)),
      [],
      'docs/api.md lists routes that do not exist',
    );
  });
});
