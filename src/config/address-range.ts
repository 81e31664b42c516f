import { BlockList, isIP } from 'node:net';

/** One `[upstream_service] allowed_addresses` entry: an IP (a /32 or /128) or a CIDR range. */
export interface AddressRange {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses `10.0.0.0/8`, `fd00::/8`, `192.0.2.7`; undefined for anything else (a bad prefix, a host name). */
export function parseAddressRange(text: string): AddressRange | undefined {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const address = m[1] ?? '';
  const v = isIP(address);
  if (v === 0) return undefined;
  const max = v === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return undefined;
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * A matcher over ranges (node's BlockList compares by value, so `::1` and `0:0::1` are one address). IPv4
 * ranges also match IPv4-mapped IPv6 peers (`::ffff:10.1.2.3`), as a dual-stack listener reports them.
 */
export function addressMatcher(ranges: readonly string[]): (ip: string | undefined) => boolean {
  const list = new BlockList();
  for (const r of ranges) {
    const p = parseAddressRange(r);
    if (p) list.addSubnet(p.address, p.prefix, p.family);
  }
  return (ip) => {
    if (ip === undefined) return false;
    const plain = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const v = isIP(plain);
    return v !== 0 && list.check(plain, v === 4 ? 'ipv4' : 'ipv6');
  };
}
