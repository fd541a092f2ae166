import type { z } from 'zod';
import { errorCodes } from '../../src/platform/errors/index.ts';
import type { AnyRoute } from '../../src/platform/http/route.ts';
import { exampleCandidates } from './json-example.ts';
import { cell, code, type JsonSchema, valuesOf } from './markdown.ts';
import { fieldsOf, fieldTable, objectVariants } from './schema-fields.ts';

// One operation of the reference: what it needs, what it takes (path, query, body) and what it
// answers, each from the OpenAPI operation that the same route declaration produced.

export interface Operation {
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema: JsonSchema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
}

export const headingOf = (route: AnyRoute) => `${route.method.toUpperCase()} ${route.path}`;

/** Who may call it, in the words of the route (the service enforces it). */
export function permissionOf(route: AnyRoute): string {
  if (route.public) return 'none (public)';
  return route.permission ? code(route.permission) : 'a valid token';
}

/** What a `name` is under each tag, for examples that read like real requests. */
const NAMES_BY_TAG: Record<string, string> = {
  'Sign-up': 'Sam Lee',
  Organizations: 'Europe',
  Users: 'Sam Lee',
  Roles: 'Auditors',
  Environments: 'Staging',
  Apps: 'Acme Portal',
  'Identity providers': 'Acme Entra ID',
};

/** The first example the route's own schema accepts, as a fenced block; nothing when none does. */
function exampleBlock(candidates: unknown[], schema: z.ZodType | undefined): string[] {
  const accepted = candidates.find((candidate) => schema?.safeParse(candidate).success);
  if (accepted === undefined) return [];
  return ['', 'Example:', '', '```json', JSON.stringify(accepted, null, 2), '```'];
}

function parameterTable(operation: Operation, where: 'path' | 'query', title: string): string[] {
  const list = (operation.parameters ?? []).filter((p) => p.in === where);
  if (list.length === 0) return [];
  return [
    '',
    title,
    '',
    '| Name | Type | Required | Description |',
    '|---|---|---|---|',
    ...list.map(
      (p) =>
        `| ${code(p.name)} | ${cell(valuesOf(p.schema, 'null'))} | ${p.required ? 'yes' : 'no'} | ${cell(p.description ?? '')} |`,
    ),
  ];
}

function bodySection(route: AnyRoute, operation: Operation): string[] {
  const schema = operation.requestBody?.content['application/json']?.schema;
  if (!schema) return [];
  const fields = fieldsOf(schema);
  const optional = operation.requestBody?.required ? '' : ' It may be left out or empty.';
  return [
    '',
    `**Request body** (JSON).${optional}`,
    '',
    fields.length > 0 ? fieldTable(fields, 'Required') : `${cell(valuesOf(schema, 'null'))}`,
    // One example per shape of a union (`kind: saml`, `kind: oidc`), each one the route accepts.
    ...(objectVariants(schema) ?? [schema]).flatMap((shape) =>
      exampleBlock(exampleCandidates(shape, NAMES_BY_TAG[route.tag]), route.body),
    ),
  ];
}

function answerSection(route: AnyRoute, operation: Operation): string[] {
  const schema = operation.responses[String(route.status)]?.content?.['application/json']?.schema;
  if (!schema) return ['', `**Answer:** \`${route.status}\`, no body.`];
  const fields = fieldsOf(schema);
  return [
    '',
    `**Answer:** \`${route.status}\` with JSON.`,
    '',
    fields.length > 0 ? fieldTable(fields, 'Always there') : `${cell(valuesOf(schema, 'null'))}`,
  ];
}

function errorLine(route: AnyRoute): string[] {
  const codes = [...new Set(route.errors ?? [])];
  if (codes.length === 0) return [];
  const list = codes.map((c) => `${code(c)} (${errorCodes[c].status})`).join(', ');
  return ['', `**Errors** besides the common ones: ${list}.`];
}

/** The section of one endpoint, from its `####` heading to its answer. */
export function renderEndpoint(route: AnyRoute, operation: Operation): string {
  return [
    `#### \`${headingOf(route)}\``,
    '',
    route.summary,
    ...(route.description ? ['', route.description] : []),
    '',
    `**Permission:** ${permissionOf(route)}.`,
    ...errorLine(route),
    ...parameterTable(operation, 'path', '**Path parameters**'),
    ...parameterTable(operation, 'query', '**Query parameters**'),
    ...bodySection(route, operation),
    ...answerSection(route, operation),
  ].join('\n');
}
