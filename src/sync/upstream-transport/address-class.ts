import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../../errors.js';

/**
 * Where an IP address sits, for request-forgery checks: a content URL or redirect from the upstream must not
 * make the server reach its own loopback, the link-local metadata services (169.254.169.254) or the private
 * network unless the upstream itself lives there.
 */
export type AddressClass = 'public' | 'loopback' | 'link-local' | 'private' | 'reserved';

function blockList(ranges: readonly [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const b = new BlockList();
  for (const [net, prefix, family] of ranges) b.addSubnet(net, prefix, family);
  return b;
}

const loopback = blockList([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const linkLocal = blockList([
  ['169.254.0.0', 16, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
]);
const privateNets = blockList([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['fc00::', 7, 'ipv6'],
]);
const reserved = blockList([
  ['0.0.0.0', 8, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'], // multicast and 240/4
  ['::', 128, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
]);

/** The class of one IP address literal (IPv4-mapped IPv6 counts as its IPv4 address). */
export function addressClass(address: string): AddressClass {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (loopback.check(ip, family)) return 'loopback';
  if (linkLocal.check(ip, family)) return 'link-local';
  if (privateNets.check(ip, family)) return 'private';
  if (reserved.check(ip, family)) return 'reserved';
  return 'public';
}

/** A URL host without the brackets of an IPv6 literal. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * The addresses a host name stands for: itself when it is a literal, else every address DNS returns
 * (a name that resolves to loopback is loopback). `localhost` never goes to DNS.
 */
export async function resolveHost(hostname: string): Promise<string[]> {
  const host = bareHost(hostname);
  if (isIP(host) !== 0) return [host];
  if (/^localhost\.?$/i.test(host) || /\.localhost\.?$/i.test(host)) return ['127.0.0.1'];
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** The upstream's host name as the address rules compare it (lower case, no brackets, no trailing dot). */
export function upstreamHostOf(upstreamUrl: string): string {
  return bareHost(new URL(upstreamUrl).hostname.toLowerCase()).replace(/\.$/, '');
}

/**
 * The address classes the server may connect to for this upstream: public ones, plus the ranges the upstream
 * itself resolves into (a lab or branch WSUS on the private network or loopback may point within it; a
 * public upstream may not point into it). Resolved once; while the upstream cannot be resolved, public only.
 */
export function allowedAddressClasses(
  upstreamUrl: string,
  resolve: (host: string) => Promise<string[]> = resolveHost,
): () => Promise<ReadonlySet<AddressClass>> {
  let classes: Promise<ReadonlySet<AddressClass>> | undefined;
  return () =>
    (classes ??= resolve(upstreamHostOf(upstreamUrl)).then(
      (a) => new Set<AddressClass>(['public', ...a.map(addressClass)]),
      () => {
        classes = undefined;
        return new Set<AddressClass>(['public']);
      },
    ));
}

/**
 * The same rule at connect time, on the address DNS answers when the socket opens: a URL check resolves the
 * name first, and a name that answers differently a moment later (DNS rebinding) would otherwise reach
 * loopback or the metadata service all the same.
 */
export function connectAddressCheck(
  upstreamUrl: string,
  resolve: (host: string) => Promise<string[]> = resolveHost,
): (host: string, address: string) => Promise<AppError | undefined> {
  const allowed = allowedAddressClasses(upstreamUrl, resolve);
  return async (host, address) => {
    const cls = addressClass(address);
    if ((await allowed()).has(cls)) return undefined;
    const reason = `${host} resolves to ${cls} address ${address} when connecting`;
    return new AppError('PB_ERR_CONTENT_URL_REFUSED', `connection refused: ${reason}`, {
      detail: { host, address, reason },
    });
  };
}
