import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import {
  createGuardedFetch,
  type GuardedFetch,
  type OutboundRefused,
  outboundRefusalIn,
} from './guarded-fetch.ts';

/** A local listener that counts every TCP connection made to it, whatever came over it. */
async function listener(host: string, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://${host}:${port}`,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const hello = (_req: IncomingMessage, res: ServerResponse) => {
  res.setHeader('content-type', 'application/json');
  res.end('{"hello":"world"}');
};

/** Fails unless `promise` rejects because the guard refused; answers the refusal. */
async function refused(promise: Promise<unknown>): Promise<OutboundRefused> {
  const err = await promise.then(
    () => assert.fail('the fetch went through'),
    (e: unknown) => e,
  );
  const refusal = outboundRefusalIn(err);
  assert.ok(refusal, `expected the guard to refuse, got ${String(err)}`);
  return refusal;
}

describe('SEC-5 guarded fetch', () => {
  const fetches: GuardedFetch[] = [];
  const guarded = (options: Parameters<typeof createGuardedFetch>[0]) => {
    const f = createGuardedFetch(options);
    fetches.push(f);
    return f;
  };
  after(async () => {
    await Promise.all(fetches.map((f) => f.close()));
  });

  test('SEC-5 with the setting off, a loopback IP literal is refused before connecting', async () => {
    const target = await listener('127.0.0.1', hello);
    try {
      const fetch = guarded({ allowPrivateNetworks: false });
      const refusal = await refused(fetch(`${target.origin}/internal`));
      assert.match(refusal.message, /127\.0\.0\.1 is in a loopback range/);
      await refused(fetch(`https://127.0.0.1:${target.port}/internal`));
      await refused(fetch(`https://[::ffff:127.0.0.1]:${target.port}/internal`));
      assert.equal(target.connections(), 0, 'nothing reached the listener');
    } finally {
      await target.close();
    }
  });

  test('SEC-5 a host name resolving to loopback is refused at resolution: nothing connects', async () => {
    const target = await listener('127.0.0.1', hello);
    try {
      const fetch = guarded({ allowPrivateNetworks: false });
      const refusal = await refused(
        fetch(`https://localhost:${target.port}/.well-known/openid-configuration`),
      );
      assert.match(refusal.message, /^localhost: .* loopback/);
      assert.equal(target.connections(), 0, 'nothing reached the listener');
    } finally {
      await target.close();
    }
  });

  test('SEC-5 only http and https URLs are fetched', async () => {
    const fetch = guarded({ allowPrivateNetworks: true });
    await refused(fetch('data:application/json,{}'));
    await refused(fetch('file:///etc/passwd'));
  });

  test('SEC-5 with the setting on, a local IdP over http is reached', async () => {
    const target = await listener('127.0.0.1', hello);
    try {
      const fetch = guarded({ allowPrivateNetworks: true });
      const res = await fetch(`${target.origin}/x`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { hello: 'world' });
      assert.ok(res instanceof Response || Object.prototype.toString.call(res) === '[object Response]');
      const byName = await fetch(`http://localhost:${target.port}/x`);
      assert.equal(byName.status, 200);
      await byName.arrayBuffer();
    } finally {
      await target.close();
    }
  });

  test('SEC-5 a redirect from an allowed host to a forbidden one is refused at the hop', async () => {
    const inside = await listener('127.0.0.1', hello);
    const outside = await listener('127.0.0.2', (req, res) => {
      const to =
        req.url === '/by-name' ? `http://localhost:${inside.port}/secret` : `${inside.origin}/secret`;
      res.writeHead(302, { location: to });
      res.end();
    });
    try {
      // Only 127.0.0.2 stands for "the public internet" here.
      const fetch = guarded({
        allowPrivateNetworks: false,
        refusal: (address) => (address === '127.0.0.2' ? undefined : `${address} is not allowed`),
      });
      const first = await fetch(`${outside.origin}/start`, { redirect: 'manual' });
      assert.equal(first.status, 302, 'the allowed host itself is reached');
      await first.arrayBuffer();
      const literal = await refused(fetch(`${outside.origin}/start`, { redirect: 'follow' }));
      assert.match(literal.message, /127\.0\.0\.1 is not allowed/);
      const named = await refused(fetch(`${outside.origin}/by-name`, { redirect: 'follow' }));
      assert.match(named.message, /^localhost: /);
      assert.equal(inside.connections(), 0, 'no redirect hop reached the forbidden host');
    } finally {
      await Promise.all([inside.close(), outside.close()]);
    }
  });

  test('SEC-5 a response past the size limit is cut off', async () => {
    const big = await listener('127.0.0.1', (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(`"${'a'.repeat(64 * 1024)}"`);
    });
    try {
      const fetch = guarded({ allowPrivateNetworks: true, maxResponseBytes: 16 * 1024 });
      await assert.rejects(async () => (await fetch(`${big.origin}/jwks`)).text());
      const roomy = guarded({ allowPrivateNetworks: true, maxResponseBytes: 128 * 1024 });
      assert.equal((await (await roomy(`${big.origin}/jwks`)).text()).length, 64 * 1024 + 2);
    } finally {
      await big.close();
    }
  });

  test('SEC-5 a server that never answers is given up on', async () => {
    const silent = await listener('127.0.0.1', () => {});
    try {
      const fetch = guarded({ allowPrivateNetworks: true, timeoutMs: 200 });
      await assert.rejects(fetch(`${silent.origin}/slow`));
    } finally {
      await silent.close();
    }
  });
});
