// What every view knows: who is signed in, the tree they may see (ORG-10) with their permissions
// on each node, and how to move around. Permissions here only decide what to offer; the API
// decides what is allowed.
import { api } from './api.js';

export function createContext(me, domain) {
  const listeners = new Set();
  const refreshListeners = new Set();
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
    /**
     * Whether the person holds `permission` in one environment of `orgId`: node-wide, or through a
     * role scoped to that environment (ROLE-3; credentials.* and analytics.view, say).
     */
    canIn(permission, orgId, environmentId) {
      if (ctx.can(permission, orgId)) return true;
      const env = ctx.nodes.get(orgId)?.environments?.find((e) => e.id === environmentId);
      return env?.permissions.includes(permission) ?? false;
    },
    /** The member nodes on which the person holds `permission` node-wide, in tree order. */
    nodesWith(permission) {
      return ctx.ordered.filter((n) => n.permissions.includes(permission));
    },
    /** The member nodes where the person holds `permission` node-wide or in at least one environment. */
    nodesWithAny(permission) {
      return ctx.ordered.filter(
        (n) =>
          n.permissions.includes(permission) ||
          n.environments?.some((e) => e.permissions.includes(permission)),
      );
    },
    /** A node's name with its ancestors', for selects: "Acme › Sales › EMEA". */
    pathName(orgId) {
      const names = [];
      for (let n = ctx.nodes.get(orgId); n; n = ctx.nodes.get(n.parentId)) names.unshift(n.name);
      return names.join(' › ') || orgId;
    },
    /** Reads who they are and their tree again (after a rename, a new or deleted node, a role change). */
    async refresh() {
      ctx.me = await api.get('/me');
      setNodes(ctx.me.hierarchy ?? []);
      for (const listener of refreshListeners) listener();
    },
    onRefresh(listener) {
      refreshListeners.add(listener);
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
