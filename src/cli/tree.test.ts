import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printable, renderTree, type TreeLine } from './tree.ts';

const node = (id: string, parentId: string | null, depth: number): TreeLine => ({
  id,
  parentId,
  depth,
  name: id.toUpperCase(),
  owner: { id: `u-${id}`, username: `owner-${id}` },
});

test('renderTree draws branches that continue past deeper levels', () => {
  const text = renderTree([
    node('root', null, 0),
    node('a', 'root', 1),
    node('a1', 'a', 2),
    node('a1x', 'a1', 3),
    node('a2', 'a', 2),
    node('b', 'root', 1),
    node('b1', 'b', 2),
  ]);
  assert.equal(
    text,
    [
      'ROOT  [root]  owner owner-root',
      '├── A  [a]  owner owner-a',
      '│   ├── A1  [a1]  owner owner-a1',
      '│   │   └── A1X  [a1x]  owner owner-a1x',
      '│   └── A2  [a2]  owner owner-a2',
      '└── B  [b]  owner owner-b',
      '    └── B1  [b1]  owner owner-b1',
      '',
    ].join('\n'),
  );
});

test('printable escapes control characters so tenant-chosen names cannot drive the terminal', () => {
  assert.equal(printable('Acme\u001b[2J\nCorp\u009b'), 'Acme\\u001b[2J\\u000aCorp\\u009b');
  assert.equal(printable('Société Générale — 東京'), 'Société Générale — 東京');
});
