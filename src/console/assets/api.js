// The console's only way to the server: `/api/v1` with the signed-in person's token. An expired
// token is refreshed once; a session that has ended sends the person to sign in again. Every
// failure becomes an ApiError carrying the API's own message, field problems and request id.
import { accessToken, refresh, signInAgain } from './auth.js';

export class ApiError extends Error {
  constructor(status, body = {}) {
    super(body.message ?? `The request failed (${status}).`);
    this.status = status;
    this.code = body.code;
    this.requestId = body.requestId;
    this.details = body.details;
    /** `[{ field, problem }]` for invalid input, else empty. */
    this.fields = Array.isArray(body.details?.fields) ? body.details.fields : [];
  }
}

const inFlight = new Set();
const listeners = new Set();

/** Calls `listener(busy)` whenever requests start or all finish (the page's progress bar). */
export function onActivity(listener) {
  listeners.add(listener);
}

function track(promise) {
  inFlight.add(promise);
  for (const l of listeners) l(true);
  return promise.finally(() => {
    inFlight.delete(promise);
    if (inFlight.size === 0) for (const l of listeners) l(false);
  });
}

function url(path, query) {
  const u = new URL(`/api/v1${path}`, window.location.origin);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  return u;
}

async function send(method, path, { query, body } = {}, token = accessToken()) {
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function request(method, path, options) {
  let response;
  try {
    const token = accessToken();
    response = await send(method, path, options, token);
    // Refused: renew the token, unless another request already did while this one was under way.
    if (response.status === 401 && (accessToken() !== token || (await refresh())))
      response = await send(method, path, options);
  } catch {
    throw new ApiError(0, { message: 'Canopy could not be reached. Check your connection and try again.' });
  }
  if (response.status === 401) {
    await signInAgain();
    throw new ApiError(401, { message: 'Your session has ended. Signing you in again…' });
  }
  if (response.status === 204) return undefined;
  const payload = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

export const api = {
  get: (path, query) => track(request('GET', path, { query })),
  post: (path, body = {}) => track(request('POST', path, { body })),
  put: (path, body) => track(request('PUT', path, { body })),
  patch: (path, body) => track(request('PATCH', path, { body })),
  del: (path) => track(request('DELETE', path)),
};

/** Every page of a paged list (`{ items, total }`), for selects that need them all (roles). */
export async function getAll(path, query = {}) {
  const items = [];
  for (let offset = 0; ; offset += 200) {
    const page = await api.get(path, { ...query, limit: 200, offset });
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}
