import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The console's safety rests on two habits the CSP alone cannot enforce: API data enters the page
// only as text, and nothing is loaded from elsewhere. A module that breaks either fails here.

const DIRECTORY = fileURLToPath(new URL('./assets/', import.meta.url));
const modules = readdirSync(DIRECTORY, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.js'))
  .map((e) => {
    const file = path.join(e.parentPath, e.name);
    return { name: path.relative(DIRECTORY, file), source: readFileSync(file, 'utf8') };
  });

test('the console modules never turn strings into markup or code', () => {
  assert.ok(modules.length > 5);
  const sinks =
    /\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(|new Function\b|createContextualFragment/;
  for (const { name, source } of modules) assert.doesNotMatch(source, sinks, name);
});

test('the console modules import only each other, and set no inline styles', () => {
  for (const { name, source } of modules) {
    const specifiers = [
      ...source.matchAll(/^import\b[^;]*?\bfrom '([^']+)';/gm),
      ...source.matchAll(/\bimport\('([^']+)'\)/g),
    ];
    for (const [, specifier] of specifiers) {
      assert.match(specifier!, /^\.{1,2}\/[\w/-]+\.js$/, `${name} imports ${specifier}`);
    }
    assert.doesNotMatch(source, /\.style\.|setAttribute\('style'|\bstyle:/, `${name} sets an inline style`);
  }
});
