import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressRange, addressRefusal } from './address-policy.ts';

const OFF = { allowPrivateNetworks: false };
const ON = { allowPrivateNetworks: true };

// [address, range, allowed over https with the setting off, allowed with it on]
const TABLE: [string, string, boolean, boolean][] = [
  ['127.0.0.1', 'loopback', false, true],
  ['127.8.9.10', 'loopback', false, true],
  ['::1', 'loopback', false, true],
  ['10.0.0.1', 'private', false, true],
  ['10.255.255.255', 'private', false, true],
  ['172.16.0.1', 'private', false, true],
  ['172.31.255.254', 'private', false, true],
  ['192.168.1.1', 'private', false, true],
  ['100.64.0.1', 'carrierGradeNat', false, true],
  ['100.127.255.254', 'carrierGradeNat', false, true],
  ['169.254.169.254', 'linkLocal', false, false],
  ['169.254.170.2', 'linkLocal', false, false],
  ['224.0.0.1', 'multicast', false, false],
  ['239.255.255.250', 'multicast', false, false],
  ['255.255.255.255', 'broadcast', false, false],
  ['0.0.0.0', 'unspecified', false, false],
  ['0.1.2.3', 'unspecified', false, false],
  ['240.0.0.1', 'reserved', false, false],
  ['192.0.2.10', 'reserved', false, false],
  ['fc00::1', 'uniqueLocal', false, true],
  ['fd12:3456:789a::1', 'uniqueLocal', false, true],
  ['fe80::1', 'linkLocal', false, false],
  ['fe80::1%eth0', 'linkLocal', false, false],
  ['febf:ffff::1', 'linkLocal', false, false],
  ['ff02::1', 'multicast', false, false],
  ['::', 'unspecified', false, false],
  // IPv4-mapped IPv6: classified as the IPv4 address the socket reaches.
  ['::ffff:127.0.0.1', 'loopback', false, true],
  ['::ffff:7f00:1', 'loopback', false, true],
  ['::ffff:a9fe:a9fe', 'linkLocal', false, false],
  ['::ffff:10.1.2.3', 'private', false, true],
  ['::ffff:8.8.8.8', 'unicast', true, true],
  ['::7f00:1', 'ipv4Compatible', false, false],
  ['64:ff9b::7f00:1', 'rfc6052', false, false],
  ['2002:7f00:1::1', '6to4', false, false],
  // Cloud metadata outside link-local stays refused even with private networks allowed.
  ['fd00:ec2::254', 'cloudMetadata', false, false],
  ['100.100.100.200', 'cloudMetadata', false, false],
  // Public addresses.
  ['8.8.8.8', 'unicast', true, true],
  ['93.184.215.14', 'unicast', true, true],
  ['2606:4700:4700::1111', 'unicast', true, true],
  ['[2001:4860:4860::8888]', 'unicast', true, true],
  // Not an address at all.
  ['localhost', 'invalid', false, false],
  ['2130706433', 'invalid', false, false],
];

describe('SEC-5 outbound address policy', () => {
  for (const [address, range, offAllowed, onAllowed] of TABLE) {
    test(`SEC-5 ${address} is ${range}: ${offAllowed ? 'allowed' : 'refused'} by default, ${onAllowed ? 'allowed' : 'refused'} with private networks`, () => {
      assert.equal(addressRange(address), range);
      assert.equal(addressRefusal(address, 'https:', OFF) === undefined, offAllowed);
      assert.equal(addressRefusal(address, 'https:', ON) === undefined, onAllowed);
    });
  }

  test('SEC-5 plain http is refused to public addresses, whatever the setting', () => {
    assert.match(addressRefusal('8.8.8.8', 'http:', OFF) ?? '', /public: plain http is refused/);
    assert.match(addressRefusal('2606:4700:4700::1111', 'http:', ON) ?? '', /plain http is refused/);
  });

  test('SEC-5 plain http reaches loopback and private addresses only with the setting on', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.0.10', 'fd00::5']) {
      assert.match(addressRefusal(address, 'http:', OFF) ?? '', /FEDERATION_ALLOW_PRIVATE_NETWORKS is off/);
      assert.equal(addressRefusal(address, 'http:', ON), undefined, address);
    }
    assert.match(addressRefusal('169.254.169.254', 'http:', ON) ?? '', /linkLocal/);
  });
});
