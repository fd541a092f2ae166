import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.ts';
import { type ConfigOverrides, createTestEnv, type TestEnv } from './test-container.ts';

export interface OidcTestServer extends TestEnv {
  issuer: string;
  server: Server;
}

/**
 * Canopy listening on a loopback port, with PUBLIC_URL set to it, so a real relying party
 * (openid-client) can talk to it over HTTP.
 */
export async function startOidcServer(options: { config?: ConfigOverrides } = {}): Promise<OidcTestServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = await createTestEnv({
    ...options,
    config: { ...options.config, server: { publicUrl: issuer, ...options.config?.server } },
  });
  server.on('request', createApp(env.container));
  return {
    ...env,
    issuer,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await env.close();
    },
  };
}
