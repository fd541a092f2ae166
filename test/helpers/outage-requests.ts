import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a request answered: enough to tell a 503 with Retry-After from a 500 or a success. */
export interface Answer {
  status: number;
  retryAfter: string | null;
  type: string;
  body: Record<string, unknown>;
  text: string;
}

async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a page
  }
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    type: res.headers.get('content-type') ?? '',
    body,
    text,
  };
}

const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Requests a node answers during an outage test, each bounded so that a hang fails the test. */
export function outageRequests(origin: string, timeoutMs = 5_000) {
  const call = async (path: string, init: RequestInit = {}) =>
    answerOf(
      await fetch(new URL(path, origin), {
        ...init,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
  const form = (clientId: string, secret: string, fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: {
      authorization: basic(clientId, secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(fields).toString(),
  });
  return {
    token: (clientId: string, secret: string) =>
      call('/oidc/token', form(clientId, secret, { grant_type: 'client_credentials' })),
    introspect: (clientId: string, secret: string, token: string) =>
      call('/oidc/token/introspection', form(clientId, secret, { token })),
    me: (bearer: string) => call('/api/v1/me', { headers: { authorization: `Bearer ${bearer}` } }),
    readyz: () => call('/readyz'),
    get: (path: string, headers: Record<string, string> = {}) => call(path, { headers }),
    post: (path: string, headers: Record<string, string>, body: unknown) =>
      call(path, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
  };
}

/** A 503 that says when to come back; on the OAuth endpoints, `temporarily_unavailable`. */
export function assertUnavailable(answer: Answer, what: string, oauth = false): void {
  assert.equal(answer.status, 503, `${what}: ${answer.status} ${answer.text.slice(0, 300)}`);
  assert.ok(Number(answer.retryAfter) > 0, `${what}: Retry-After (${answer.retryAfter})`);
  if (oauth) assert.equal(answer.body.error, 'temporarily_unavailable', `${what}: ${answer.text}`);
  assert.equal(answer.body.access_token, undefined, `${what}: no token`);
}

/** Polls `check` until it holds: service resumes by itself once the dependency is back. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) assert.fail(`${what}: not back within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}
