/** A node as the operator's tree view lists it: parents first, siblings in display order. */
export interface TreeLine {
  id: string;
  parentId: string | null;
  depth: number;
  name: string;
  owner: { id: string; username: string };
}

/**
 * Draws the tree with box-drawing branches:
 *   Acme Corp  [id]  owner founder
 *   ├── Europe  [id]  owner alice
 *   │   └── France  [id]  owner alice
 *   └── US  [id]  owner founder
 */
export function renderTree(nodes: readonly TreeLine[]): string {
  const lastChildOf = new Map<string | null, string>();
  for (const node of nodes) lastChildOf.set(node.parentId, node.id);
  // open[d]: the branch at depth d continues below the current line.
  const open: boolean[] = [];
  let out = '';
  for (const node of nodes) {
    const isLast = lastChildOf.get(node.parentId) === node.id;
    let prefix = '';
    for (let d = 1; d < node.depth; d++) prefix += open[d] ? '│   ' : '    ';
    if (node.depth > 0) prefix += isLast ? '└── ' : '├── ';
    open[node.depth] = !isLast;
    out += `${prefix}${printable(node.name)}  [${node.id}]  owner ${printable(node.owner.username)}\n`;
  }
  return out;
}

/** Tenant-chosen text with control characters shown as escapes, so a name cannot drive the terminal. */
export function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
