// Addresses of an org node: its admin API path and its console page, ids always encoded.
export const orgPath = (...parts) => `/organizations/${parts.map(encodeURIComponent).join('/')}`;
export const orgHash = (orgId) => `#/organizations/${encodeURIComponent(orgId)}`;
