import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { renderApiReference } from '../../scripts/docs/api-reference.ts';
import { documentedRoutes } from '../../scripts/docs/api-routes.ts';

// docs/api.md's endpoint reference is written from the route declarations, through the same
// OpenAPI document the server serves: each endpoint's body and answer as the code validates them.
// Rewrite it with `npm run docs:api`.

const committed = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

describe('docs/api.md, the admin API reference', () => {
  test('is what `npm run docs:api` writes today (not stale)', () => {
    assert.equal(committed, renderApiReference(), 'docs/api.md is stale: run `npm run docs:api`');
  });

  test('has a section for every route, and the body fields of every route that takes one', () => {
    const problems: string[] = [];
    for (const route of documentedRoutes()) {
      const heading = `#### \`${route.method.toUpperCase()} ${route.path}\``;
      const start = committed.indexOf(`${heading}\n`);
      if (start < 0) {
        problems.push(`${heading} is missing`);
        continue;
      }
      const next = committed.indexOf('\n#### ', start + heading.length);
      const section = committed.slice(start, next < 0 ? undefined : next);
      if (route.body && !section.includes('**Request body**')) problems.push(`${heading}: no request body`);
      if (!section.includes('**Answer:**')) problems.push(`${heading}: no answer`);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('a new web app: the fields only the OpenAPI document used to list are on the page', () => {
    const start = committed.indexOf('#### `POST /apps`\n');
    const section = committed.slice(start, committed.indexOf('\n#### ', start + 1));
    for (const field of ['kind', 'name', 'redirectUris', 'postLogoutRedirectUris', 'grants'])
      assert.ok(section.includes(`| \`${field}\` |`), `POST /apps does not document ${field}`);
  });
});
