// The console's pages: their hash paths, the module and export that render them, and the
// navigation entries shown to people who may use them.
const anywhere = (permission) => (ctx) => ctx.nodesWithAny(permission).length > 0;

export const ROUTES = [
  {
    path: '/organizations',
    load: () => import('./views/organizations.js'),
    view: 'organizationsView',
    nav: { href: '/organizations', label: 'Organization' },
    visible: () => true,
  },
  {
    path: '/organizations/:orgId',
    load: () => import('./views/organizations.js'),
    view: 'organizationsView',
  },
  {
    path: '/users',
    load: () => import('./views/users.js'),
    view: 'usersView',
    nav: { href: '/users', label: 'Users' },
    visible: (ctx) => ctx.can('users.manage') || anywhere('users.invite')(ctx),
  },
  { path: '/users/:userId', load: () => import('./views/users.js'), view: 'userView' },
  // ACC-2, ACC-5: one's own profile, password and sessions; reached from the name in the top bar.
  { path: '/profile', load: () => import('./views/profile.js'), view: 'profileView' },
  {
    path: '/roles',
    load: () => import('./views/roles.js'),
    view: 'rolesView',
    nav: { href: '/roles', label: 'Roles' },
    visible: () => true,
  },
  { path: '/roles/:roleId', load: () => import('./views/roles.js'), view: 'roleView' },
  {
    path: '/apps',
    load: () => import('./views/apps.js'),
    view: 'appsView',
    nav: { href: '/apps', label: 'Connected apps' },
    visible: (ctx) => ctx.can('apps.manage'),
  },
  { path: '/apps/:appId', load: () => import('./views/apps.js'), view: 'appView' },
  {
    path: '/identity-providers',
    load: () => import('./views/identity-providers.js'),
    view: 'identityProvidersView',
    nav: { href: '/identity-providers', label: 'Identity providers' },
    visible: (ctx) => ctx.can('idp.manage'),
  },
  {
    path: '/identity-providers/:providerId',
    load: () => import('./views/identity-providers.js'),
    view: 'identityProviderView',
  },
  {
    path: '/audit',
    load: () => import('./views/audit.js'),
    view: 'auditView',
    nav: { href: '/audit', label: 'Audit log' },
    visible: anywhere('audit.view'),
  },
  {
    path: '/analytics',
    load: () => import('./views/analytics.js'),
    view: 'analyticsView',
    nav: { href: '/analytics', label: 'Analytics' },
    visible: anywhere('analytics.view'),
  },
];
