// The organization page: the tree the person may see (ORG-10) beside one node, with an index of the
// node's sections; the panels themselves are in components/node-panels.js.
import { api } from '../api.js';
import { nodePanels } from '../components/node-panels.js';
import { orgHash, orgPath } from '../components/org-paths.js';
import { h, heading, hint } from '../dom.js';

export async function organizationsView(ctx, { params }) {
  const orgId = params.orgId ?? ctx.ordered[0]?.id;
  if (!orgId) return noRolesYet(ctx);
  if (ctx.nodes.get(orgId)?.access !== 'member') {
    return [heading('Organization'), treeNav(ctx, undefined), hint('You hold no role on that node.')];
  }
  const org = await api.get(orgPath(orgId));
  const panels = h('div', { class: 'org-node' }, await nodePanels(ctx, org));
  panels.prepend(sectionIndex(panels));
  return [heading(org.name), h('div', { class: 'org-layout' }, treeNav(ctx, orgId), panels)];
}

/** A node's page is long: an index of its sections, each entry moving focus to that heading. */
function sectionIndex(container) {
  const PANEL_HEADINGS = 'section.panel > h2, section.panel > .panel-head > h2';
  const titles = [...container.querySelectorAll(PANEL_HEADINGS)].map((title) => title.textContent);
  if (titles.length < 4) return null;
  // Looked up when used: a panel saved since was rebuilt, with a heading of its own.
  const jump = (text) => {
    const target = [...container.querySelectorAll(PANEL_HEADINGS)].find((t) => t.textContent === text);
    target?.setAttribute('tabindex', '-1');
    target?.focus();
    target?.scrollIntoView({ block: 'start' });
  };
  return h(
    'nav',
    { class: 'section-index', 'aria-label': 'On this page' },
    h(
      'ul',
      null,
      titles.map((text) =>
        h('li', null, h('button', { class: 'link-button', type: 'button', onclick: () => jump(text) }, text)),
      ),
    ),
  );
}

/** USR-4: someone without any role sees their own profile and nothing else. */
function noRolesYet(ctx) {
  const user = ctx.me.user ?? {};
  return [
    heading('Welcome to Canopy'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Name'),
      h('dd', null, user.name ?? ''),
      h('dt', null, 'Username'),
      h('dd', null, user.username ?? ''),
      h('dt', null, 'Email'),
      h('dd', null, user.email ?? ''),
      h('dt', null, 'Organization'),
      h('dd', null, ctx.me.organization.name),
    ),
    hint('You hold no role yet. An administrator of your organization can grant you one.'),
  ];
}

/** The tree: member nodes are links, ancestors kept only to connect it are plain names. */
function treeNav(ctx, currentId) {
  const { children } = ctx.tree;
  const branch = (parentId) => {
    const kids = children.get(parentId) ?? [];
    if (!kids.length) return null;
    return h(
      'ul',
      null,
      kids.map((n) =>
        h(
          'li',
          null,
          n.access === 'member'
            ? h('a', { href: orgHash(n.id), 'aria-current': n.id === currentId ? 'page' : undefined }, n.name)
            : h(
                'span',
                { class: 'tree-ancestor' },
                n.name,
                h('span', { class: 'visually-hidden' }, ' (no access)'),
              ),
          branch(n.id),
        ),
      ),
    );
  };
  return h('nav', { class: 'tree', 'aria-label': 'Organization tree' }, branch(null));
}
