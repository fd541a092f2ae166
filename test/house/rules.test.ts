import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

// docs/rules.md is the product's rule book inside the repository: every rule id a test names must
// be defined there, so a reader who meets an id in a test title can look it up without leaving
// the clone. The families are the product's rule families; a new family is added here and there.

const ROOT = path.resolve(import.meta.dirname, '../..');
const FAMILIES = [
  ...['ORG', 'USR', 'ROLE', 'INV', 'ENV', 'CRED', 'APP', 'SESS'],
  ...['FED', 'AUD', 'ANL', 'SEC', 'REL', 'API', 'ACC'],
];
const RULE_ID = new RegExp(`\\b(?:${FAMILIES.join('|')})-\\d+\\b`, 'g');
const RULES_FILE = path.join(ROOT, 'docs/rules.md');
const rulesText = readFileSync(RULES_FILE, 'utf8');

/** Each rule of docs/rules.md: a list item that starts with its id in bold. */
const defined = [...rulesText.matchAll(/^- \*\*([A-Z]+-\d+)\*\* (.*)$/gm)].map((m) => ({
  id: m[1]!,
  firstLine: m[2]!,
}));
const definedIds = new Set(defined.map((rule) => rule.id));

/** Test files under src/ and everything under test/ (helpers name rules in titles too). */
function testFiles(): string[] {
  return [...globSync('src/**/*.test.ts', { cwd: ROOT }), ...globSync('test/**/*.ts', { cwd: ROOT })].sort();
}

describe('docs/rules.md, the rule book', () => {
  test('defines every rule id that a test names', () => {
    const missing = new Map<string, string[]>();
    for (const file of testFiles()) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const id of new Set(text.match(RULE_ID) ?? [])) {
        if (!definedIds.has(id)) missing.set(id, [...(missing.get(id) ?? []), file]);
      }
    }
    const report = [...missing].map(([id, files]) => `${id} (named in ${files.join(', ')})`);
    assert.deepEqual(report, [], `ids missing from docs/rules.md:\n${report.join('\n')}`);
  });

  test('finds the ids the tests name (the scan itself works)', () => {
    const named = new Set(
      testFiles().flatMap((f) => readFileSync(path.join(ROOT, f), 'utf8').match(RULE_ID) ?? []),
    );
    assert.ok(named.size >= 50, `only ${named.size} rule ids found in the tests`);
    assert.ok(named.has('ORG-1') && named.has('SEC-12'), 'the scan misses ids that tests name');
  });

  test('each rule id is of a known family, defined once, and numbered from 1 without gaps', () => {
    assert.ok(defined.length > 0, 'no rule found: each rule is a list item `- **ID** text`');
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const { id, firstLine } of defined) {
      if (!new RegExp(`^${RULE_ID.source}$`).test(id)) problems.push(`${id}: not of a known family`);
      if (seen.has(id)) problems.push(`${id}: defined twice`);
      if (firstLine.trim().length < 20) problems.push(`${id}: says too little`);
      seen.add(id);
    }
    for (const family of FAMILIES) {
      const numbers = defined
        .filter((r) => r.id.startsWith(`${family}-`))
        .map((r) => Number(r.id.split('-')[1]));
      if (numbers.length === 0) problems.push(`${family}: no rule`);
      const expected = numbers.map((_n, i) => i + 1);
      if (numbers.join() !== expected.join()) problems.push(`${family}: numbered ${numbers.join(', ')}`);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('every id the page refers to is a rule of the page', () => {
    const referred = new Set(rulesText.match(RULE_ID) ?? []);
    const dangling = [...referred].filter((id) => !definedIds.has(id));
    assert.deepEqual(
      dangling,
      [],
      `docs/rules.md refers to rules it does not define: ${dangling.join(', ')}`,
    );
  });

  test('no id outside the known families is written like a rule', () => {
    const strays = [...rulesText.matchAll(/\*\*([A-Z]{2,6}-\d+)\*\*/g)]
      .map((m) => m[1]!)
      .filter((id) => !definedIds.has(id));
    assert.deepEqual(strays, [], `bold ids of unknown families: ${strays.join(', ')}`);
  });
});
