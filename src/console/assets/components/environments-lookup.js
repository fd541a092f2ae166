// A node's environments, for the views and panels that name them (analytics, role assignments,
// group mappings). Read afresh on every call: environments are created, renamed and deleted on the
// organization page, so a copy kept across page views would go stale. Callers that ask for the same
// node several times within one panel keep their own `environmentCache()`.
import { api } from '../api.js';

/** A node's environments (`[{ id, name, type, clientId, … }]`); none when they cannot be read. */
export function environmentsOf(orgId) {
  return api.get(`/organizations/${encodeURIComponent(orgId)}/environments`).then(
    (answer) => answer.environments,
    () => [],
  );
}

/** `environmentsOf`, asked once per node for as long as the answer is kept (one panel, one dialog). */
export function environmentCache() {
  const lists = new Map();
  return (orgId) => {
    if (!lists.has(orgId)) lists.set(orgId, environmentsOf(orgId));
    return lists.get(orgId);
  };
}
