import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { formAction, inputValue, type TestBrowser } from '../helpers/browser.ts';
import { relyingParty, type Tokens } from '../helpers/sso-session.ts';
import type { CanopyNode } from './canopy-node.ts';
import type { Cluster } from './harness.ts';
import { Recorder } from './recorder.ts';
import { ADMIN_PERMISSIONS } from './world.ts';

/** The apps' side of the cluster tests: relying parties through the balancer or at one node. */
export interface ClusterClients {
  recorder: Recorder;
  /** The web app, reaching the installation through HAProxy. */
  web: client.Configuration;
  /** The web app talking to one node directly, as if the balancer had chosen it. */
  webAt(node: CanopyNode): Promise<client.Configuration>;
  /** The service app (client credentials), through HAProxy. */
  service: client.Configuration;
  /** A fresh client-credentials token of the service app, for the admin API. */
  adminToken(): Promise<string>;
  /** An admin API call through HAProxy with `token`. */
  api(method: string, path: string, token: string, body?: unknown): Promise<Response>;
}

export async function clusterClients(cluster: Cluster): Promise<ClusterClients> {
  const recorder = new Recorder();
  const { webApp, serviceApp } = cluster.world;
  const web = recorder.attach(await relyingParty(cluster.url, webApp.clientId, webApp.secret));
  const service = recorder.attach(await relyingParty(cluster.url, serviceApp.clientId, serviceApp.secret));
  return {
    recorder,
    web,
    async webAt(node) {
      return recorder.attach(await relyingParty(cluster.url, webApp.clientId, webApp.secret, node.origin));
    },
    service,
    async adminToken() {
      const granted = await client.clientCredentialsGrant(service, { scope: ADMIN_PERMISSIONS.join(' ') });
      return granted.access_token;
    },
    api(method, path, token, body) {
      return recorder.fetch(`${cluster.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
  };
}

/** RP-initiated logout (SESS-7) through the pages `rp` reaches, confirmed as the person would. */
export async function logout(rp: client.Configuration, browser: TestBrowser, tokens: Tokens): Promise<void> {
  const url = client.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token! });
  const confirm = await browser.request(url);
  const page = await confirm.text();
  assert.equal(confirm.status, 200, page);
  const action = formAction(page, /\/oidc\/session\/end\/confirm$/);
  const xsrf = inputValue(page, 'xsrf');
  assert.ok(action && xsrf, 'the logout confirmation form');
  const done = await browser.request(new URL(action, url), { form: { xsrf, logout: 'yes' } });
  assert.ok(done.status < 400, `logout confirmed: ${done.status}`);
}

/** Whether `token` introspects active at `rp` (the web app, at the balancer or at one node). */
export async function isActive(rp: client.Configuration, token: string): Promise<boolean> {
  return (await client.tokenIntrospection(rp, token)).active === true;
}
