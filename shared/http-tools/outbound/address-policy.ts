import { BlockList, isIP } from 'node:net';

/**
 * Which addresses HTTP tools may connect to. Three classes:
 * - `forbidden`: never, whatever the configuration: link-local (169.254.0.0/16, fe80::/10, where cloud metadata
 *   services live), the EC2 metadata address over IPv6 (fd00:ec2::254), "this network" (0.0.0.0/8, ::), multicast
 *   and broadcast;
 * - `private`: loopback, RFC 1918, carrier-grade NAT, unique-local IPv6: only inside a CIDR the operator allows
 *   (`OUTBOUND_ALLOWED_CIDRS`);
 * - `public`: everything else.
 * IPv4-mapped IPv6 addresses (`::ffff:169.254.169.254`) are judged as the IPv4 address they carry.
 */
export type AddressClass = 'forbidden' | 'private' | 'public';

const FORBIDDEN_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['169.254.0.0', 16],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];
const FORBIDDEN_V6: [string, number][] = [
  ['::', 128],
  ['fe80::', 10],
  ['fd00:ec2::254', 128],
  ['ff00::', 8], // multicast
];
const PRIVATE_V4: [string, number][] = [
  ['127.0.0.0', 8],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
];
const PRIVATE_V6: [string, number][] = [
  ['::1', 128],
  ['fc00::', 7],
];

function blockList(v4: [string, number][], v6: [string, number][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of v6) list.addSubnet(network, prefix, 'ipv6');
  return list;
}

const FORBIDDEN = blockList(FORBIDDEN_V4, FORBIDDEN_V6);
const PRIVATE = blockList(PRIVATE_V4, PRIVATE_V6);

/** The 16 bytes of an IPv6 address, or undefined if it is not one. */
function ipv6Bytes(address: string): Uint8Array | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.split('%')[0]!;
  const bytes = new Uint8Array(16);
  // A trailing dotted IPv4 part becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const parts = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, -dotted[1]!.length)}${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

const NAT64_PREFIX = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];

/**
 * The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) or NAT64
 * (`64:ff9b::a.b.c.d`) IPv6 address: each reaches that IPv4 address.
 */
export function embeddedIpv4(address: string): string | undefined {
  const bytes = ipv6Bytes(address);
  if (!bytes) return undefined;
  if (NAT64_PREFIX.every((b, i) => bytes[i] === b)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  if (bytes.slice(0, 10).some((b) => b !== 0)) return undefined;
  const marker = (bytes[10]! << 8) | bytes[11]!;
  const v4 = `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  if (marker === 0xffff) return v4;
  // IPv4-compatible (deprecated) form; `::` and `::1` are IPv6 addresses in their own right.
  if (marker === 0 && (bytes[12]! | bytes[13]!) !== 0) return v4;
  return undefined;
}

/** Normalises an address for the block lists: brackets and zone ids removed, mapped IPv4 unwrapped. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const bare = address.replace(/^\[|\]$/g, '').split('%')[0]!;
  const version = isIP(bare);
  if (version === 4) return { address: bare, family: 'ipv4' };
  if (version !== 6) return undefined;
  const v4 = embeddedIpv4(bare);
  return v4 ? { address: v4, family: 'ipv4' } : { address: bare, family: 'ipv6' };
}

export function classifyAddress(address: string): AddressClass {
  const normal = normalise(address);
  if (!normal) return 'forbidden';
  if (FORBIDDEN.check(normal.address, normal.family)) return 'forbidden';
  if (PRIVATE.check(normal.address, normal.family)) return 'private';
  return 'public';
}

export interface AddressPolicy {
  /** `undefined` when the address may be reached, else why not (for the refusal message). */
  refusal(address: string): string | undefined;
}

/** Parses `10.0.0.0/8`, `::1/128` or a bare address into a subnet; throws on anything else. */
export function parseCidr(cidr: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [network = '', prefixText] = cidr.trim().split('/');
  const version = isIP(network);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (version === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '') {
    throw new Error(`"${cidr}" is not a CIDR such as 10.0.0.0/8 or fd12::/16`);
  }
  return { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * The policy for one process: forbidden addresses are always refused; private ones unless inside `allowedCidrs`
 * (which can never open a forbidden address) or `allowPrivate` is set; public ones are allowed.
 */
export function createAddressPolicy(
  options: {
    allowedCidrs?: readonly string[];
    /** Every private address may be reached (never a forbidden one): for origins a caller vouches for. */
    allowPrivate?: boolean;
  } = {},
): AddressPolicy {
  const allowed = new BlockList();
  for (const cidr of options.allowedCidrs ?? []) {
    const { network, prefix, family } = parseCidr(cidr);
    allowed.addSubnet(network, prefix, family);
  }
  return {
    refusal(address) {
      const kind = classifyAddress(address);
      if (kind === 'forbidden') return 'a link-local, metadata or otherwise reserved address';
      if (kind === 'private' && !options.allowPrivate) {
        const normal = normalise(address)!;
        if (!allowed.check(normal.address, normal.family)) return 'a private or loopback address';
      }
      return undefined;
    },
  };
}
