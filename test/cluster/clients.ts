import * as client from 'openid-client';
import { relyingParty } from '../helpers/sso-session.ts';

export { logout } from '../helpers/sso-session.ts';

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

/** Whether `token` introspects active at `rp` (the web app, at the balancer or at one node). */
export async function isActive(rp: client.Configuration, token: string): Promise<boolean> {
  return (await client.tokenIntrospection(rp, token)).active === true;
}
