import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/*
 * Which IP addresses Signet may connect to on a tenant's behalf. Pure: no DNS, no sockets.
 *
 * Only public unicast addresses are reachable by default — IPv4 outside every special-purpose
 * block (IANA IPv4 Special-Purpose Address Registry, RFC 6890), IPv6 inside global unicast
 * 2000::/3 and outside its special-purpose blocks — so loopback, private (RFC 1918), CGNAT
 * (RFC 6598), link-local (and with it the cloud metadata services), unique-local (RFC 4193),
 * multicast, broadcast, unspecified, documentation and reserved addresses are all refused.
 * Addresses that embed an IPv4 address are judged by it: IPv4-mapped (::ffff:a.b.c.d, RFC 4291
 * §2.5.5.2) and the NAT64 well-known prefix (64:ff9b::/96, RFC 6052 §2.1); the other
 * embeddings (IPv4-compatible ::a.b.c.d, 6to4, Teredo, local-use NAT64) are refused outright.
 *
 * An operator widens this in two ways: `allowPrivateNetworks` (loopback, private, CGNAT,
 * link-local and unique-local, but never a cloud metadata address) and `allowedNetworks`
 * (exact CIDRs, which win over everything, metadata addresses included). `refuseLinkLocal`
 * narrows the first: link-local stays shut even with private networks allowed (webhooks).
 */

export interface AddressRules {
  /** Loopback, RFC 1918, CGNAT, link-local and unique-local become reachable (not metadata addresses). */
  allowPrivateNetworks: boolean;
  /** CIDRs reachable whatever they are (parsed by `parseNetwork`). */
  allowedNetworks: readonly Network[];
  /**
   * Link-local (169.254.0.0/16, fe80::/10) stays refused even with `allowPrivateNetworks`: the
   * range of the cloud metadata services, whatever address a provider picks next in it.
   */
  refuseLinkLocal?: boolean;
}

export type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

export const STRICT_RULES: AddressRules = { allowPrivateNetworks: false, allowedNetworks: [] };

/** The ranges `allowPrivateNetworks` opens: an operator's own networks. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'carrierGradeNat', 'linkLocal', 'uniqueLocal']);

/**
 * Instance metadata services (AWS, GCP, Azure, OpenStack: 169.254.169.254; AWS ECS task
 * metadata: 169.254.170.2; AWS IMDS over IPv6: fd00:ec2::254; Alibaba Cloud: 100.100.100.200).
 * They hand out the machine's cloud credentials, so only an explicit CIDR reaches them.
 */
const METADATA_NETWORKS: Network[] = [
  '169.254.169.254/32',
  '169.254.170.2/32',
  'fd00:ec2::254/128',
  '100.100.100.200/32',
].map((cidr) => ipaddr.parseCIDR(cidr));

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

export type AddressClass =
  | { kind: 'public'; address: ipaddr.IPv4 | ipaddr.IPv6 }
  | { kind: 'special'; address: ipaddr.IPv4 | ipaddr.IPv6; range: string; metadata: boolean }
  | { kind: 'invalid' };

/**
 * What an address is. Only the canonical textual forms a socket or a resolver gives (net.isIP)
 * are read: "2130706433" or "0x7f.1" are host names to resolve, never addresses.
 */
export function classifyAddress(text: string): AddressClass {
  const family = isIP(text);
  if (family === 0) return { kind: 'invalid' };
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.parse(family === 6 ? canonicalIpv6(text) : text);
  } catch {
    return { kind: 'invalid' };
  }
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) address = v6.toIPv4Address();
    else if (v6.match(NAT64_WELL_KNOWN)) address = embeddedIpv4(v6);
  }
  const metadata = METADATA_NETWORKS.some((network) => matches(address, network));
  const range = address.range();
  const isPublic =
    range === 'unicast' && (address.kind() === 'ipv4' || address.match(GLOBAL_UNICAST_V6)) && !metadata;
  return isPublic ? { kind: 'public', address } : { kind: 'special', address, range, metadata };
}

/** Whether Signet may connect to `text` under `rules`. */
export function isAddressAllowed(text: string, rules: AddressRules): boolean {
  const classified = classifyAddress(text);
  if (classified.kind === 'invalid') return false;
  const { address } = classified;
  if (rules.allowedNetworks.some((network) => matches(address, network))) return true;
  if (classified.kind === 'public') return true;
  if (rules.refuseLinkLocal && classified.range === 'linkLocal') return false;
  return rules.allowPrivateNetworks && PRIVATE_RANGES.has(classified.range) && !classified.metadata;
}

/**
 * A CIDR ("10.0.0.0/8", "fd00::/8") or a single address ("127.0.0.1" = /32, "::1" = /128), as
 * OUTBOUND_ALLOWED_NETWORKS lists them; undefined when it is neither. Only canonical address
 * forms are accepted, so what an operator reads is what is allowed.
 */
export function parseNetwork(text: string): Network | undefined {
  const [base = '', prefix, ...rest] = text.trim().split('/');
  if (rest.length > 0 || isIP(base) === 0) return undefined;
  if (prefix === undefined) {
    const address = ipaddr.parse(base);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  }
  if (!/^\d{1,3}$/.test(prefix)) return undefined;
  try {
    return ipaddr.parseCIDR(`${base}/${prefix}`);
  } catch {
    return undefined;
  }
}

/** The canonical text of a network, for configuration views and errors. */
export function formatNetwork([address, prefix]: Network): string {
  return `${address.toString()}/${prefix}`;
}

function matches(address: ipaddr.IPv4 | ipaddr.IPv6, [network, prefix]: Network): boolean {
  if (address.kind() !== network.kind()) return false;
  return address.match(network, prefix);
}

/**
 * The RFC 5952 form of an IPv6 address, zone dropped, as the WHATWG URL parser writes it.
 * ipaddr.js reads the deprecated IPv4-compatible "::a.b.c.d" as IPv4-mapped "::ffff:a.b.c.d";
 * in hexadecimal ("::7f00:1") it is what it is.
 */
function canonicalIpv6(text: string): string {
  const [bare = ''] = text.split('%');
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

/** RFC 6052 §2.2: with a /96 prefix the IPv4 address is the last 32 bits. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const bytes = address.toByteArray().slice(12);
  return ipaddr.fromByteArray(bytes) as ipaddr.IPv4;
}
