import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { renderConfigReference } from '../../scripts/docs/config-reference.ts';
import { configSchema, ENV_VARS } from '../../src/config/schema.ts';

// docs/configuration.md is written from the zod schema, ENV_VARS and config/default.yaml: it is
// the operator's reference, and a stale one misleads. Rewrite it with `npm run docs:config`.

const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

describe('docs/configuration.md, the configuration reference', () => {
  test('is what `npm run docs:config` writes today (not stale)', () => {
    assert.equal(
      committed,
      renderConfigReference(),
      'docs/configuration.md is stale: run `npm run docs:config`',
    );
  });

  test('has a row for every key of the schema, with its environment variable', () => {
    const missing: string[] = [];
    for (const [section, sectionSchema] of Object.entries(configSchema.shape)) {
      for (const key of Object.keys(sectionSchema.shape)) {
        const row = committed.split('\n').find((line) => line.startsWith(`| \`${section}.${key}\` |`));
        if (!row) missing.push(`${section}.${key}`);
      }
    }
    for (const name of Object.keys(ENV_VARS)) if (!committed.includes(`| \`${name}\` |`)) missing.push(name);
    assert.deepEqual(missing, [], `not in docs/configuration.md: ${missing.join(', ')}`);
  });

  test('every key has a description in the schema, so no row is left blank', () => {
    const blank: string[] = [];
    for (const [section, sectionSchema] of Object.entries(configSchema.shape)) {
      for (const [key, field] of Object.entries(sectionSchema.shape))
        if (!field.description) blank.push(`${section}.${key}`);
    }
    assert.deepEqual(blank, [], `keys without .describe(): ${blank.join(', ')}`);
  });
});
