// What every view knows: who is signed in, the tree they may see (ORG-10) with their permissions
// on each node, and how to move around. Permissions here only decide what to offer; the API
// decides what is allowed.
import { api } from './api.js';

export function createContext(me, domain) {
  const listeners = new Set();
  const ctx = {
    me,
    domain,
    masterId: me.organization.id,
    /** id → `{ id, parentId, name, access: 'member'|'ancestor', permissions }` */
    nodes: new Map(),
    /** The nodes in tree order (parents before children, siblings by name). */
    ordered: [],
    navigated: false,

    /** Whether the person holds `permission` on `orgId` (the master by default). */
    can(permission, orgId = ctx.masterId) {
      return ctx.nodes.get(orgId)?.permissions.includes(permission) ?? false;
    },
    /** The member nodes on which the person holds `permission`, in tree order. */
    nodesWith(permission) {
      return ctx.ordered.filter((n) => n.permissions.includes(permission));
    },
    /** A node's name with its ancestors', for selects: "Acme › Sales › EMEA". */
    pathName(orgId) {
      const names = [];
      for (let n = ctx.nodes.get(orgId); n; n = ctx.nodes.get(n.parentId)) names.unshift(n.name);
      return names.join(' › ') || orgId;
    },
    /** Reads the tree again (after creating, renaming or deleting a node, or a role change). */
    async refresh() {
      const { nodes } = await api.get('/hierarchy');
      setNodes(nodes);
    },
    go(path) {
      ctx.navigated = true;
      if (window.location.hash === `#${path}`) ctx.rerender();
      else window.location.hash = path;
    },
    /** Renders the current view again, after a change it shows. */
    rerender() {
      for (const listener of listeners) listener();
    },
    onChange(listener) {
      listeners.add(listener);
    },
  };

  function setNodes(nodes) {
    ctx.nodes = new Map(nodes.map((n) => [n.id, n]));
    const children = new Map();
    for (const n of nodes) {
      const siblings = children.get(n.parentId ?? null) ?? [];
      siblings.push(n);
      children.set(n.parentId ?? null, siblings);
    }
    const ordered = [];
    const walk = (parentId, depth) => {
      const siblings = (children.get(parentId) ?? []).sort((a, b) => a.name.localeCompare(b.name));
      for (const n of siblings) {
        ordered.push({ ...n, depth });
        walk(n.id, depth + 1);
      }
    };
    walk(null, 0);
    ctx.ordered = ordered.filter((n) => n.access === 'member');
    ctx.tree = { children, ordered };
  }
  setNodes(me.hierarchy ?? []);
  return ctx;
}
