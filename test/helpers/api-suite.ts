import { after } from 'node:test';
import type { Express } from 'express';
import { createApp } from '../../src/app.ts';
import { ApiClient, userToken } from './api.ts';
import { createApiTestEnv } from './api-world.ts';
import { signUpTenant, type Tenant } from './factories.ts';
import { type ConfigOverrides, createTestEnv, type TestEnv } from './test-container.ts';

export type ApiSuite<E extends TestEnv = TestEnv> = E & {
  /** The app the client talks to, for requests the client does not make (headers, raw bodies). */
  app: Express;
  /** The admin API, every answer checked against the OpenAPI document it serves. */
  api: ApiClient;
  /** A signed-up tenant; its founder owns the master. */
  t: Tenant;
  /** A bearer token of the founder, for the admin API. */
  token: string;
};

export interface ApiSuiteOptions<E extends TestEnv> {
  config?: ConfigOverrides;
  /** No API rate limit in the way, for files that make hundreds of requests. */
  unthrottled?: boolean;
  /** Starts the env another way (`startOidcServer`, for a relying party over HTTP); `config` is then its. */
  start?: () => Promise<E>;
  /** The sign-up of the tenant (company name, domain, username). */
  tenant?: Parameters<typeof signUpTenant>[1];
}

/**
 * The prologue of an admin API test file, awaited at its top level: one container for the whole
 * file, closed after its tests. A test that needs a clean slate signs up a tenant of its own in it:
 * tenants are isolated by design, and a sign-up costs a fraction of a new container.
 */
export async function apiSuite<E extends TestEnv = TestEnv>(
  options: ApiSuiteOptions<E> = {},
): Promise<ApiSuite<E>> {
  const { config, start } = options;
  const env = start
    ? await start()
    : ((options.unthrottled ? await createApiTestEnv(config) : await createTestEnv({ config })) as E);
  after(() => env.close());
  const app = createApp(env.container);
  const api = new ApiClient(app);
  const t = await signUpTenant(env.container, options.tenant);
  return { ...env, app, api, t, token: await userToken(env.container, t.user.id) };
}
