import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on a free loopback port, without auth or TLS, keeping every message. */
export async function startInbox() {
  const received: { to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    /** The one message to `address` that arrived (of those `match` accepts), taken out of the inbox. */
    async take(address: string, match: (raw: string) => boolean = () => true): Promise<string> {
      for (let i = 0; i < 100; i++) {
        const at = received.findIndex((m) => m.to.includes(address.toLowerCase()) && match(m.raw));
        if (at >= 0) return received.splice(at, 1)[0]!.raw;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.fail(`no mail to ${address} arrived`);
    },
    /** Messages that arrived and were not taken (a mail is in once the sender's request has answered). */
    count: (match: (raw: string) => boolean = () => true) => received.filter((m) => match(m.raw)).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Inbox = Awaited<ReturnType<typeof startInbox>>;
