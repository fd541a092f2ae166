import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import type { Container } from '../../src/container.ts';
import { API_RESOURCE } from '../../src/oidc/resources.ts';
import { CONSOLE_CLIENT_ID, isCanopyClient } from '../../src/oidc/tenancy.ts';

/**
 * The admin API as a resource server, as the provider names it on the tokens it issues for it
 * (SEC-2): Canopy's own clients' and service apps' tokens carry it as their audience.
 */
function adminApi(provider: Container['oidc']['provider']) {
  return new provider.ResourceServer(API_RESOURCE, {
    scope: '',
    audience: API_RESOURCE,
    accessTokenFormat: 'opaque',
  });
}

/** Where the real flows put a client's tokens: the admin API for Canopy's own clients and service apps. */
const audienceFor = (provider: Container['oidc']['provider'], client: Record<string, unknown>) =>
  isCanopyClient(client) || client.canopy_kind === 'service' ? { resourceServer: adminApi(provider) } : {};

/**
 * A user's bearer token as the console would hold one (the admin API its audience), minted through
 * the provider's own models: API tests need a token, not another run of the sign-in flow. With
 * another client, the token a sign-in gives that app (for userinfo), which the admin API refuses.
 */
export async function userToken(c: Container, userId: string, clientId = CONSOLE_CLIENT_ID): Promise<string> {
  const provider = c.oidc.provider;
  const client = await provider.Client.find(clientId);
  assert.ok(client, `client ${clientId}`);
  const grant = new provider.Grant({ accountId: userId, clientId });
  grant.addOIDCScope('openid');
  const grantId = await grant.save();
  return new provider.AccessToken({
    accountId: userId,
    client,
    grantId,
    gty: 'authorization_code',
    ...audienceFor(provider, client),
    scope: isCanopyClient(client) ? '' : 'openid',
  }).save();
}

/** A console sign-in: a grant and the provider session holding it, as the sign-in flow leaves them. */
export async function openConsoleSession(c: Container, userId: string) {
  const provider = c.oidc.provider;
  const grant = new provider.Grant({ accountId: userId, clientId: CONSOLE_CLIENT_ID });
  grant.addOIDCScope('openid');
  const grantId = await grant.save();
  const session = new provider.Session();
  session.loginAccount({ accountId: userId });
  session.ensureClientContainer(CONSOLE_CLIENT_ID);
  session.grantIdFor(CONSOLE_CLIENT_ID, grantId);
  await session.save(3600);
  return { userId, grantId, sessionUid: session.uid };
}

/**
 * A console token bound to a provider session, as a real sign-in hands out: the session's idle
 * clock and its end (SESS-2, SESS-7, USR-3) govern it. Without `session`, a new sign-in.
 */
export async function sessionBoundToken(
  c: Container,
  userId: string,
  session?: Awaited<ReturnType<typeof openConsoleSession>>,
): Promise<string> {
  const { grantId, sessionUid } = session ?? (await openConsoleSession(c, userId));
  const client = await c.oidc.provider.Client.find(CONSOLE_CLIENT_ID);
  assert.ok(client);
  return new c.oidc.provider.AccessToken({
    accountId: userId,
    client,
    grantId,
    gty: 'authorization_code',
    resourceServer: adminApi(c.oidc.provider),
    scope: '',
    sessionUid,
    expiresWithSession: true,
  }).save();
}

/**
 * A service app's client-credentials token with these scopes (permissions), for the admin API. With
 * org or environment credentials, the token they get (no audience), which the admin API refuses.
 */
export async function appToken(c: Container, clientId: string, scope: string): Promise<string> {
  const provider = c.oidc.provider;
  const client = await provider.Client.find(clientId);
  assert.ok(client, `client ${clientId}`);
  return new provider.ClientCredentials({ client, scope, ...audienceFor(provider, client) }).save();
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type JsonSchema = Record<string, unknown>;

/**
 * The admin API with a bearer token, every response checked against the OpenAPI document the API
 * serves (issue 4: "every response in the tests is checked against it").
 */
export class ApiClient {
  readonly #app: Express;
  readonly #document: Promise<{
    paths: Record<
      string,
      Record<
        string,
        { responses: Record<string, { content?: { 'application/json': { schema: JsonSchema } } }> }
      >
    >;
    components: { schemas: Record<string, JsonSchema> };
  }>;
  // Formats (uuid, date-time…) are checked by the server against the same schemas; here, the shapes.
  readonly #ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  /** Compiled once per operation and status: compiling costs far more than validating. */
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(app: Express) {
    this.#app = app;
    this.#document = request(app)
      .get('/api/v1/openapi.json')
      .then((r) => r.body);
  }

  static for(c: Container): ApiClient {
    return new ApiClient(createApp(c));
  }

  async call(method: Method, path: string, options: { token?: string; body?: unknown } = {}) {
    let req = request(this.#app)[method](`/api/v1${path}`);
    if (options.token) req = req.set('authorization', `Bearer ${options.token}`);
    const res = options.body === undefined ? await req : await req.send(options.body as object);
    await this.#check(method, path, res.status, res.body);
    return res;
  }

  async #check(method: Method, path: string, status: number, body: unknown): Promise<void> {
    if (path === '/openapi.json') return;
    const document = await this.#document;
    const template = Object.keys(document.paths).find((p) =>
      new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0]!),
    );
    const operation = template ? document.paths[template]?.[method] : undefined;
    if (!operation) {
      assert.equal(status, 404, `${method} ${path} is not in the OpenAPI document but answered ${status}`);
      return;
    }
    const response = operation.responses[String(status)];
    assert.ok(response, `${method} ${path} answered ${status}, which the OpenAPI document does not list`);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return;
    const key = `${method} ${template} ${status}`;
    let validate = this.#validators.get(key);
    if (!validate) {
      validate = this.#ajv.compile({ ...schema, components: document.components });
      this.#validators.set(key, validate);
    }
    assert.ok(
      validate(body),
      `${method} ${path} ${status} does not match the document: ${this.#ajv.errorsText(validate.errors)}`,
    );
  }
}

export type ApiResponse = Awaited<ReturnType<ApiClient['call']>>;

/** The ids of a list page, in order. */
export const idsOf = (res: ApiResponse) => res.body.items.map((x: { id: string }) => x.id) as string[];

/** An error answer: its status and code, the body shown when it is not. */
export function expectError(res: ApiResponse, status: number, code: string, what = ''): void {
  assert.equal(res.status, status, `${what} ${JSON.stringify(res.body)}`);
  assert.equal(res.body.code, code, what);
}
