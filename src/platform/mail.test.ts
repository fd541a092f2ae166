import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.ts';
import { createMailer } from './mail.ts';

const SECRET_LINK = 'https://canopy.example/invitations/0123456789abcdefghijABCDEFGHIJ_-0123456789a';

function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger('debug', sink) };
}

test('without SMTP_URL a message becomes an .eml file (0600) in DATA_DIR/outbox; the log names the file, never the content', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-mail-'));
  try {
    const { lines, logger } = capturingLogger();
    const mailer = createMailer({ smtpUrl: null, from: 'Canopy <no-reply@localhost>', dataDir, logger });
    assert.equal(mailer.mode, 'outbox');
    await mailer.send({
      to: 'bob@example.test',
      subject: 'Hi\r\nBcc: eve@example.test',
      text: `Open ${SECRET_LINK}\n`,
    });
    const outbox = path.join(dataDir, 'outbox');
    const [file] = readdirSync(outbox);
    assert.match(file ?? '', /\.eml$/);
    assert.equal(statSync(path.join(outbox, file!)).mode & 0o777, 0o600);
    assert.equal(statSync(outbox).mode & 0o777, 0o700);
    const raw = readFileSync(path.join(outbox, file!), 'utf8');
    assert.match(raw, /^To: bob@example\.test\r$/m);
    assert.doesNotMatch(raw, /^Bcc:/im, 'no header injection through the subject');
    assert.match(raw, /^Content-Transfer-Encoding: 8bit\r$/m);
    assert.ok(raw.includes(`\r\n\r\nOpen ${SECRET_LINK}\r\n`), 'the link reads whole, on one line');
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.includes(file!), 'the log says where');
    assert.ok(
      !lines[0]!.includes('invitations/') && !lines[0]!.includes('bob@'),
      'and nothing of the message',
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('over SMTP, a server that cannot be reached makes send reject', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const { logger } = capturingLogger();
  const mailer = createMailer({
    smtpUrl: `smtp://127.0.0.1:${port}`,
    from: 'x@localhost',
    dataDir: '/nonexistent',
    logger,
  });
  assert.equal(mailer.mode, 'smtp');
  await assert.rejects(mailer.send({ to: 'bob@example.test', subject: 'Hi', text: 'Hello' }));
});

test('outbox subjects that are not ASCII are RFC 2047 encoded; the body stays UTF-8', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-mail-'));
  try {
    const { logger } = capturingLogger();
    const mailer = createMailer({ smtpUrl: null, from: 'x@localhost', dataDir, logger });
    await mailer.send({ to: 'zoe@example.test', subject: 'Bienvenue chez Société Générale', text: 'Thé ☕' });
    const outbox = path.join(dataDir, 'outbox');
    const raw = readFileSync(path.join(outbox, readdirSync(outbox)[0]!), 'utf8');
    const subject = /^Subject: =\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=\r$/m.exec(raw);
    assert.ok(subject, raw);
    assert.equal(Buffer.from(subject[1]!, 'base64').toString('utf8'), 'Bienvenue chez Société Générale');
    assert.ok(raw.endsWith('\r\n\r\nThé ☕\r\n'));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
