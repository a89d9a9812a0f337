import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AddressRules,
  formatNetwork,
  isAddressAllowed,
  type Network,
  parseNetwork,
  STRICT_RULES,
} from './addressPolicy.ts';

const networks = (...cidrs: string[]): Network[] =>
  cidrs.map((cidr) => {
    const network = parseNetwork(cidr);
    assert.ok(network, cidr);
    return network;
  });

const PRIVATE: AddressRules = { allowPrivateNetworks: true, allowedNetworks: [] };

describe('address policy (isAddressAllowed)', () => {
  // [address, allowed by default, allowed with OUTBOUND_ALLOW_PRIVATE_NETWORKS, why]
  const table: [string, boolean, boolean, string][] = [
    ['93.184.215.14', true, true, 'public IPv4'],
    ['8.8.8.8', true, true, 'public IPv4'],
    ['2606:4700:4700::1111', true, true, 'public IPv6 (global unicast)'],
    ['127.0.0.1', false, true, 'loopback'],
    ['127.255.255.254', false, true, 'loopback, the whole /8'],
    ['::1', false, true, 'IPv6 loopback'],
    ['::ffff:127.0.0.1', false, true, 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', false, true, 'IPv4-mapped loopback, hex spelling'],
    ['::ffff:8.8.8.8', true, true, 'IPv4-mapped public'],
    ['::127.0.0.1', false, false, 'IPv4-compatible (deprecated, RFC 4291 §2.5.5.1)'],
    ['0.0.0.0', false, false, 'unspecified: connects to this host'],
    ['0.1.2.3', false, false, '0.0.0.0/8, "this network"'],
    ['::', false, false, 'IPv6 unspecified'],
    ['10.1.2.3', false, true, 'RFC 1918'],
    ['172.16.0.1', false, true, 'RFC 1918'],
    ['172.31.255.255', false, true, 'RFC 1918, top of 172.16/12'],
    ['172.32.0.1', true, true, 'just outside 172.16/12'],
    ['192.168.1.1', false, true, 'RFC 1918'],
    ['100.64.0.1', false, true, 'CGNAT (RFC 6598)'],
    ['100.127.255.255', false, true, 'CGNAT, top of 100.64/10'],
    ['100.128.0.1', true, true, 'just outside 100.64/10'],
    ['169.254.1.1', false, true, 'link-local'],
    ['169.254.169.254', false, false, 'cloud metadata service: never by the broad switch'],
    ['169.254.170.2', false, false, 'AWS ECS task metadata'],
    ['100.100.100.200', false, false, 'Alibaba Cloud metadata (inside CGNAT)'],
    ['fd00:ec2::254', false, false, 'AWS IMDS over IPv6 (inside unique-local)'],
    ['::ffff:169.254.169.254', false, false, 'metadata service, IPv4-mapped'],
    ['fc00::1', false, true, 'unique-local (fc00::/7)'],
    ['fd12:3456::1', false, true, 'unique-local'],
    ['fe80::1', false, true, 'IPv6 link-local'],
    ['fe80::1%lo', false, true, 'IPv6 link-local with a zone'],
    ['fec0::1', false, false, 'deprecated site-local'],
    ['224.0.0.1', false, false, 'multicast'],
    ['239.255.255.250', false, false, 'multicast (SSDP)'],
    ['ff02::1', false, false, 'IPv6 multicast'],
    ['255.255.255.255', false, false, 'broadcast'],
    ['240.0.0.1', false, false, 'reserved (240/4)'],
    ['192.0.0.1', false, false, 'IETF protocol assignments'],
    ['192.0.2.1', false, false, 'documentation (TEST-NET-1)'],
    ['198.18.0.1', false, false, 'benchmarking'],
    ['2001:db8::1', false, false, 'documentation'],
    ['100::1', false, false, 'discard-only'],
    ['64:ff9b::8.8.8.8', true, true, 'NAT64 to a public address'],
    ['64:ff9b::127.0.0.1', false, true, 'NAT64 to loopback'],
    ['64:ff9b::a9fe:a9fe', false, false, 'NAT64 to the metadata service'],
    ['64:ff9b:1::8.8.8.8', false, false, 'local-use NAT64 (RFC 8215)'],
    ['2002:7f00:1::1', false, false, '6to4'],
    ['2001:0:4136:e378::1', false, false, 'Teredo'],
    ['2130706433', false, false, 'not an address: a host name to resolve'],
    ['0x7f000001', false, false, 'not an address'],
    ['127.1', false, false, 'not an address'],
    ['localhost', false, false, 'not an address'],
    ['', false, false, 'empty'],
  ];

  for (const [address, strict, withPrivate, why] of table) {
    it(`${address || '(empty)'} — ${why}: ${strict ? 'allowed' : 'refused'} by default, ${withPrivate ? 'allowed' : 'refused'} with private networks allowed`, () => {
      assert.equal(isAddressAllowed(address, STRICT_RULES), strict);
      assert.equal(isAddressAllowed(address, PRIVATE), withPrivate);
    });
  }

  it('allows exactly the CIDRs an operator lists, and nothing next to them', () => {
    const rules: AddressRules = {
      allowPrivateNetworks: false,
      allowedNetworks: networks('10.0.0.0/8', '127.0.0.1/32', 'fd00:1::/64'),
    };
    assert.equal(isAddressAllowed('10.200.3.4', rules), true);
    assert.equal(isAddressAllowed('127.0.0.1', rules), true);
    assert.equal(isAddressAllowed('::ffff:127.0.0.1', rules), true);
    assert.equal(isAddressAllowed('127.0.0.2', rules), false);
    assert.equal(isAddressAllowed('192.168.0.1', rules), false);
    assert.equal(isAddressAllowed('fd00:1::5', rules), true);
    assert.equal(isAddressAllowed('fd00:2::5', rules), false);
    assert.equal(isAddressAllowed('::1', rules), false);
    assert.equal(isAddressAllowed('8.8.8.8', rules), true, 'public addresses stay allowed');
  });

  it('keeps link-local shut with private networks allowed when told to (webhooks)', () => {
    const rules: AddressRules = { allowPrivateNetworks: true, allowedNetworks: [], refuseLinkLocal: true };
    for (const address of ['169.254.1.1', '169.254.169.254', 'fe80::1', 'fe80::1%lo', '::ffff:169.254.0.1']) {
      assert.equal(isAddressAllowed(address, rules), false, address);
    }
    for (const address of ['127.0.0.1', '::1', '10.1.2.3', '192.168.1.1', 'fd12:3456::1', '8.8.8.8']) {
      assert.equal(isAddressAllowed(address, rules), true, address);
    }
    for (const address of ['fd00:ec2::254', '100.100.100.200']) {
      assert.equal(isAddressAllowed(address, rules), false, `${address}: metadata`);
    }
  });

  it('reaches a metadata address only when an operator lists it', () => {
    const rules: AddressRules = { allowPrivateNetworks: true, allowedNetworks: networks('169.254.169.254') };
    assert.equal(isAddressAllowed('169.254.169.254', rules), true);
    assert.equal(isAddressAllowed('169.254.170.2', rules), false);
  });
});

describe('allowed networks (parseNetwork)', () => {
  const table: [string, string | undefined][] = [
    ['10.0.0.0/8', '10.0.0.0/8'],
    [' 127.0.0.1/32 ', '127.0.0.1/32'],
    ['127.0.0.1', '127.0.0.1/32'],
    ['::1', '::1/128'],
    ['fd00::/8', 'fd00::/8'],
    ['10.0.0.0/33', undefined],
    ['10.0.0.0/', undefined],
    ['10.0.0.0/8/8', undefined],
    ['10/8', undefined],
    ['2130706433/32', undefined],
    ['example.com/32', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of table) {
    it(`${JSON.stringify(text)} → ${expected ?? 'refused'}`, () => {
      const network = parseNetwork(text);
      assert.equal(network ? formatNetwork(network) : undefined, expected);
    });
  }
});
