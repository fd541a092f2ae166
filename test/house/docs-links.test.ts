import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

// Issue 13 item 6: the repository stands alone. Every relative link of the README, SECURITY.md and
// docs/ leads to a file of the repository (and, with a #fragment, to a heading of it); none leaves
// the repository, and nothing names the project's former `../shared` folder.

const ROOT = path.resolve(import.meta.dirname, '../..');

function guides(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.md'))
    .map((file) => path.join('docs', file));
  return ['README.md', 'SECURITY.md', ...docs].sort();
}

/** The text a reader sees as prose: fenced blocks, inline code and HTML comments blanked out. */
function prose(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/`[^`\n]*`/g, '');
}

/** Link targets: inline `[text](target)` and reference definitions `[label]: target`. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const references = [...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!);
  return [...inline, ...references];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const [, id] of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) found.add(id!);
  return found;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/** What is wrong with one link of `from` (a path relative to `root`), or undefined when it is good. */
function linkProblem(root: string, from: string, target: string): string | undefined {
  if (EXTERNAL.test(target)) return undefined; // https:, mailto:: not a file of the repository
  const [file = '', fragment] = target.split('#', 2);
  const resolved = file
    ? path.resolve(root, file.startsWith('/') ? `.${file}` : path.join(path.dirname(from), file))
    : path.join(root, from);
  const inside = path.relative(root, resolved);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return 'points outside the repository';
  if (!existsSync(resolved)) return `no such file: ${inside}`;
  if (fragment && resolved.endsWith('.md')) {
    if (!anchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(fragment)))
      return `no heading #${fragment} in ${inside}`;
  }
  return undefined;
}

describe('the documentation links only inside the repository', () => {
  for (const guide of guides()) {
    test(`every relative link of ${guide} resolves, inside the repository`, () => {
      const markdown = readFileSync(path.join(ROOT, guide), 'utf8');
      const problems = linkTargets(markdown)
        .map((target) => ({ target, problem: linkProblem(ROOT, guide, target) }))
        .filter((p) => p.problem)
        .map((p) => `${p.target}: ${p.problem}`);
      assert.deepEqual(problems, [], `${guide} has broken links`);
      assert.doesNotMatch(
        markdown,
        /\.\.\/shared|\/work\/shared/,
        `${guide} names a folder outside the repository`,
      );
    });
  }

  test('the check catches a link to a missing file, outside the repository, or to a missing heading', () => {
    assert.equal(linkProblem(ROOT, 'README.md', 'docs/operating.md#keys'), undefined);
    assert.equal(linkProblem(ROOT, 'docs/operating.md', '../SECURITY.md'), undefined);
    assert.equal(linkProblem(ROOT, 'docs/operating.md', '#backups'), undefined);
    assert.equal(linkProblem(ROOT, 'README.md', 'https://pglite.dev'), undefined);
    assert.match(linkProblem(ROOT, 'README.md', '../shared/SPEC.md')!, /outside the repository/);
    assert.match(linkProblem(ROOT, 'docs/design/sso.md', '../../../x.md')!, /outside the repository/);
    assert.match(linkProblem(ROOT, 'README.md', 'docs/nowhere.md')!, /no such file/);
    assert.match(linkProblem(ROOT, 'README.md', 'docs/operating.md#nowhere')!, /no heading/);
    assert.deepEqual(linkTargets('[a](x.md) `[b](y.md)`\n```\n[c](z.md)\n```\n[d]: w.md'), ['x.md', 'w.md']);
    assert.ok(anchors('## 3. Register an app\n## Keys\n## Keys').has('3-register-an-app'));
    assert.ok(anchors('## Keys\n## Keys').has('keys-1'));
  });
});
