import { BlockList, isIP } from 'node:net';

/**
 * `NO_PROXY` matching, written out because undici's EnvHttpProxyAgent has no CIDR support, no loopback rule
 * and no way to force loopback through an explicitly configured proxy. Rules (curl and Go conventions):
 * - entries are separated by commas and/or whitespace, compared case-insensitively;
 * - `*` alone bypasses the proxy for every host;
 * - `example.com` matches the host and every subdomain; `.example.com` and `*.example.com` match subdomains only;
 * - an entry may carry a port (`host:8530`, `[::1]:8530`): it then matches only that port;
 * - IP literals match exactly; CIDR blocks (`10.0.0.0/8`, `fd00::/8`) match any address inside.
 */
export interface NoProxyRules {
  readonly all: boolean;
  matches(hostname: string, port: number): boolean;
}

interface NameRule {
  name: string;
  subdomainsOnly: boolean;
  port: number | undefined;
}

const MAX_ENTRIES = 1000;

export function parseNoProxy(value: string | undefined): NoProxyRules {
  const names: NameRule[] = [];
  const blocks = new BlockList();
  const ipPorts: { list: BlockList; family: 'ipv4' | 'ipv6'; port: number | undefined }[] = [];
  let all = false;
  const entries = (value ?? '')
    .split(/[\s,]+/)
    .filter((e) => e !== '')
    .slice(0, MAX_ENTRIES);
  for (const raw of entries) {
    const entry = raw.toLowerCase();
    if (entry === '*') {
      all = true;
      continue;
    }
    const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const address = stripBrackets(cidr[1] ?? '');
      const family = isIP(address);
      const prefix = Number(cidr[2]);
      if (family !== 0 && prefix <= (family === 4 ? 32 : 128)) {
        blocks.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
      }
      continue;
    }
    const { host, port } = splitHostPort(entry);
    const family = isIP(host);
    if (family !== 0) {
      const fam = family === 4 ? 'ipv4' : 'ipv6';
      // A one-address BlockList compares IPv6 spellings (`::1` vs `0:0::1`) by value, not by text.
      const list = new BlockList();
      list.addAddress(host, fam);
      ipPorts.push({ list, family: fam, port });
      continue;
    }
    let name = host;
    let subdomainsOnly = false;
    if (name.startsWith('*.')) {
      name = name.slice(2);
      subdomainsOnly = true;
    } else if (name.startsWith('.')) {
      name = name.slice(1);
      subdomainsOnly = true;
    }
    if (name.endsWith('.')) name = name.slice(0, -1);
    if (name !== '') names.push({ name, subdomainsOnly, port });
  }

  return {
    all,
    matches(hostnameIn: string, port: number): boolean {
      if (all) return true;
      let hostname = stripBrackets(hostnameIn.toLowerCase());
      if (hostname.endsWith('.')) hostname = hostname.slice(0, -1);
      const family = isIP(hostname);
      if (family !== 0) {
        const fam = family === 4 ? 'ipv4' : 'ipv6';
        if (blocks.check(hostname, fam)) return true;
        return ipPorts.some((r) => (r.port === undefined || r.port === port) && r.list.check(hostname, fam));
      }
      return names.some((r) => {
        if (r.port !== undefined && r.port !== port) return false;
        if (hostname === r.name) return !r.subdomainsOnly;
        return hostname.endsWith(`.${r.name}`);
      });
    },
  };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function splitHostPort(entry: string): { host: string; port: number | undefined } {
  // Bracketed IPv6 with optional port.
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  if (v6) return { host: v6[1] ?? '', port: v6[2] === undefined ? undefined : Number(v6[2]) };
  // A bare IPv6 address has several colons and no port.
  if (isIP(entry) === 6) return { host: entry, port: undefined };
  const hp = /^(.*):(\d{1,5})$/.exec(entry);
  if (hp) return { host: hp[1] ?? '', port: Number(hp[2]) };
  return { host: entry, port: undefined };
}

/** localhost, *.localhost, 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackHost(hostnameIn: string): boolean {
  let hostname = stripBrackets(hostnameIn.toLowerCase());
  if (hostname.endsWith('.')) hostname = hostname.slice(0, -1);
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  const family = isIP(hostname);
  if (family === 4) return loopbacks.check(hostname, 'ipv4');
  if (family === 6) return loopbacks.check(hostname, 'ipv6');
  return false;
}

const loopbacks = new BlockList();
loopbacks.addSubnet('127.0.0.0', 8, 'ipv4');
loopbacks.addAddress('::1', 'ipv6');
