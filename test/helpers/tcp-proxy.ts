import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port clients connect to instead of the target's. */
  port: number;
  /** Cuts the link: open connections are destroyed and new ones are dropped until `restore`. */
  cut(): void;
  /** Hangs the link: connections stay open but nothing passes either way until `restore`. */
  hang(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy between the code under test and a shared server (PostgreSQL, Redis), so that a test
 * can take the server away from one installation without touching the server itself.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  let hung = false;
  const held = new Set<Socket>();
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    if (hung) {
      held.add(client);
      client.on('error', () => held.delete(client)).on('close', () => held.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      down = true;
      for (const socket of held) socket.destroy();
      for (const socket of open) socket.destroy();
      open.clear();
    },
    hang() {
      hung = true;
      for (const socket of open) socket.pause();
    },
    restore() {
      down = false;
      hung = false;
      for (const socket of open) socket.resume();
      for (const socket of held) socket.destroy(); // held connections never reached the target
      held.clear();
    },
    async close() {
      down = true;
      for (const socket of held) socket.destroy();
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
