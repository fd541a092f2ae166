// Naming a user in a form (a new owner, someone to assign a role to). Finding one by username needs
// the user list, which only holders of users.manage on the master may read (`GET /users`); everyone
// else gives the user's id, which the API then judges.
import { api } from '../api.js';
import { field } from '../dom.js';

const SEARCH_PAGE = 200;
export const USER_ID_HINT =
  'Their id is shown on their profile page (Users → their name), or ask an administrator who manages users.';

/**
 * The user a username names exactly (case-insensitive), paging through the search until found or
 * to the end. Not found: a problem of the form field `name`. Other failures keep the API's message.
 */
export async function userByUsername(username, name = 'username') {
  const wanted = String(username ?? '').trim();
  const problem = (text) => ({ message: 'Check the username.', fields: [{ field: name, problem: text }] });
  if (!wanted) throw problem('is required');
  for (let offset = 0; ; offset += SEARCH_PAGE) {
    const page = await api.get('/users', { search: wanted, limit: SEARCH_PAGE, offset });
    const user = page.items.find((u) => u.username.toLowerCase() === wanted.toLowerCase());
    if (user) return user;
    if (page.items.length === 0 || offset + page.items.length >= page.total) break;
  }
  throw problem(`“${wanted}” names no user of your organization`);
}

/** Whether the person may look users up by username (else they give an id). */
export const mayLookUpUsers = (ctx) => ctx.can('users.manage');

/**
 * The field naming a user: their username for those who may search users, else their id.
 * `labels`: `{ username, id }`; `hint` goes before the id hint; `name` is the control's name (the
 * API's body field, so its problems land here).
 */
export function userField(ctx, { name, labels = {}, hint, required = false }) {
  const byName = mayLookUpUsers(ctx);
  const help = byName ? hint : [hint, USER_ID_HINT].filter(Boolean).join(' ');
  return field({
    label: byName ? (labels.username ?? 'Username') : (labels.id ?? 'User id'),
    name,
    required,
    autocomplete: 'off',
    spellcheck: 'false',
    hint: help || undefined,
  });
}

/**
 * The id of the user `value` names (see `userField`): a username looked up, or the id as given.
 * Answers `{ id, name? }` (`name` only when looked up), or undefined for an empty optional field.
 */
export async function userFrom(ctx, value, { name, required = false } = {}) {
  const text = String(value ?? '').trim();
  if (!text) {
    if (!required) return undefined;
    throw { message: 'Fill in the highlighted field.', fields: [{ field: name, problem: 'is required' }] };
  }
  if (mayLookUpUsers(ctx)) return userByUsername(text, name);
  return { id: text };
}
