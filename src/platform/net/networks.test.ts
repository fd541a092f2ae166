import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coarseNetwork, coarseOrigin, throttleUnit } from './networks.ts';

// The network a device code was requested from, as the confirmation page and the audit log show it:
// enough to tell "not my network", never the address itself.

test('RFC 8628 §5.4 the requester’s network: an IPv4 /24, an IPv6 /48, never the full address', () => {
  assert.equal(coarseOrigin('203.0.113.77'), '203.0.113.x');
  assert.equal(coarseOrigin('::ffff:203.0.113.77'), '203.0.113.x', 'IPv4 written as IPv6 is IPv4');
  assert.equal(coarseOrigin('2001:db8:85a3:1:2:8a2e:370:7334'), '2001:db8:85a3::/48');
  assert.equal(coarseOrigin('2001:db8::1'), '2001:db8::/48');
  assert.equal(coarseOrigin('fe80::1%eth0'), 'fe80::/48');
  assert.equal(coarseOrigin('127.0.0.1'), '127.0.0.x');
});

test('RFC 8628 §5.4 anything but a plain address names no network', () => {
  for (const text of [
    undefined,
    '',
    'unknown',
    '1.2.3',
    '010.0.0.1',
    '0x7f.0.0.1',
    '203.0.113.77, 10.0.0.1',
    '<b>',
  ]) {
    assert.equal(coarseOrigin(text), undefined, String(text));
  }
});

test('SESS-8 what per-address throttling counts: an IPv4 address alone, an IPv6 address with its /64', () => {
  assert.equal(throttleUnit('203.0.113.7'), '203.0.113.7');
  assert.equal(throttleUnit(' ::FFFF:203.0.113.7 '), '203.0.113.7', 'IPv4 written as IPv6 is IPv4');
  assert.equal(throttleUnit('::ffff:cb00:7107'), '203.0.113.7', 'in hex too');
  assert.equal(throttleUnit('2001:DB8:85a3:0001:2:8a2e:370:7334'), '2001:db8:85a3:1::/64');
  assert.equal(throttleUnit('2001:db8:85a3:1::9'), '2001:db8:85a3:1::/64', 'one /64, one unit');
  assert.equal(throttleUnit('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(throttleUnit('Unknown'), 'unknown', 'anything else as written, case-folded');
});

test('ACC-5 a session shows the network it came from, never the address', () => {
  const cases: Array<[string | undefined, string | null]> = [
    ['203.0.113.77', '203.0.113.0/24'],
    ['10.0.0.1', '10.0.0.0/24'],
    ['::ffff:198.51.100.23', '198.51.100.0/24'], // IPv4 on a dual-stack socket
    ['::ffff:c633:6417', '198.51.100.0/24'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['2001:0DB8:0000:0012:0000:0000:0000:0001', '2001:db8::/48'],
    ['2001:db8:abcd:12:34:56:78:9', '2001:db8:abcd::/48'],
    ['fe80::1%eth0', 'fe80::/48'],
    ['::1', '::/48'],
    ['1.2.3', null],
    ['010.0.0.1', null],
    ['203.0.113.77, 10.0.0.1', null],
    ['not an address', null],
    ['', null],
    [undefined, null],
  ];
  for (const [address, network] of cases) assert.equal(coarseNetwork(address), network, String(address));
});
