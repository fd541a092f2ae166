import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinkifyIt } from 'linkify-it';
import { plainTenantText, QUOTED_MAX_CHARS, quotedTenantText } from './mail-text.ts';

// linkify-it (markdown-it's linkifier) stands in for a mail client, at its most eager: bare
// domains, addresses and IP addresses all count as links.
const linkifier = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: true, fuzzyIP: true });
const links = (text: string) => (linkifier.match(text) ?? []).map((m) => m.url);

const HOSTILE = [
  'IT Security: your password expires today, reset it at https://evil.example/reset',
  'evil.example',
  'www.evil.example/login',
  'help@evil.example',
  '//evil.example/x',
  'http://localhost/reset',
  'https://10.0.0.1/x',
  'http://[::1]/x',
  'xn--80ak6aa92e.com',
  'evil\u200B.example', // a zero-width space hiding the dot from a naive check
  'evil\u3002example', // the ideographic full stop IDNA reads as a dot
  'http\uFF1A\uFF0F\uFF0Fevil\uFF0Eexample', // fullwidth `://` and `.`
  'ftp://files.evil.example',
  'mailto:help@evil.example',
];

test('SEC-9 nothing a tenant types stays linkifiable; the text still reads', () => {
  for (const value of HOSTILE) {
    const plain = plainTenantText(value);
    assert.deepEqual(links(plain), [], `${JSON.stringify(value)} became ${JSON.stringify(plain)}`);
  }
  assert.equal(
    plainTenantText(HOSTILE[0]!),
    'IT Security: your password expires today, reset it at https[://]evil[.]example/reset',
  );
  assert.equal(plainTenantText('help@evil.example'), 'help[at]evil[.]example');
});

test('SEC-9 ordinary names pass unchanged', () => {
  for (const name of [
    'Acme Corp',
    'Acme Inc.',
    'Société Générale',
    'Ünal & Söhne GmbH',
    'R&D: Team 7',
    '株式会社テスト',
  ]) {
    assert.equal(plainTenantText(name), name);
  }
  assert.equal(quotedTenantText('Acme Corp'), '“Acme Corp”');
});

test('SEC-9 line breaks, control, bidi and zero-width characters never survive; the quotes are ours', () => {
  const value = 'Acme\r\nBcc: eve@x\u0000\u0007\t\u202Etxt.exe\u202C\u2066x\u2069\u200D\uFEFF\u2028end';
  const plain = plainTenantText(value);
  assert.doesNotMatch(plain, /[\p{Cc}\p{Cf}\u2028\u2029]/u);
  assert.equal(plain, 'Acme Bcc: eve[at]x txt[.]exex end');
  assert.equal(quotedTenantText('Acme” phishing “x'), '“Acme" phishing "x”', 'no closing quote of its own');
});

test('SEC-9 long text is cut to a name’s length', () => {
  const plain = plainTenantText('a'.repeat(300));
  assert.equal(Array.from(plain).length, QUOTED_MAX_CHARS);
  assert.ok(plain.endsWith('…'));
  assert.equal(
    plainTenantText('😀'.repeat(150)),
    `${'😀'.repeat(QUOTED_MAX_CHARS - 1)}…`,
    'never half a character',
  );
});
