import { microsoftContentHosts } from '../config/index.js';
import { AppError } from '../errors.js';
import { addressClass, allowedAddressClasses, bareHost, resolveHost, upstreamHostOf } from '../sync/index.js';

/**
 * Where update files come from (docs/protocol/client.md §1.9, docs/protocol/server-sync.md §2.3):
 * - `upstream-content`: a WSUS or Patchbay upstream serves its store at `<origin>/Content/<XX>/<SHA1>.<ext>`
 *   on the same origin as its ServerSync service (the layout a Windows downstream derives itself).
 * - `microsoft-update`: Microsoft Update has no `/Content/` tree; each file's `MUUrl` from GetUpdateData
 *   (kept in `files.mu_url`) points at download.windowsupdate.com.
 */
export type ContentSourceKind = 'upstream-content' | 'microsoft-update';

/** Hosts that mean "the upstream is Microsoft Update" (the ServerSync endpoint lives on update.microsoft.com). */
const microsoftUpdateHost = /(^|\.)update\.microsoft\.com$/i;

/** The source kind implied by the configured ServerSync URL. */
export function contentSourceFor(upstreamUrl: string): ContentSourceKind {
  let host: string;
  try {
    host = new URL(upstreamUrl).hostname;
  } catch (e) {
    throw new AppError('PB_ERR_CONFIG_INVALID', 'upstream URL is not a valid URL', { cause: e });
  }
  return microsoftUpdateHost.test(host) ? 'microsoft-update' : 'upstream-content';
}

const extension = /\.([A-Za-z0-9_-]{1,32})$/;

/** A file as the downloader needs it to build its URL. */
export interface SourceFile {
  readonly sha1: Buffer;
  readonly name: string;
  readonly muUrl: string | null;
}

/**
 * The URL a file is fetched from, or undefined when this source cannot name one (a Microsoft Update file
 * without an http(s) MUUrl). The SHA-1 comes from our own database, never from the upstream's URL text.
 */
export function contentSourceUrl(
  file: SourceFile,
  kind: ContentSourceKind,
  upstreamUrl: string,
): string | undefined {
  if (kind === 'microsoft-update') {
    const u = file.muUrl;
    return u !== null && /^https?:\/\/[^\s]+$/i.test(u) && u.length <= 2048 ? u : undefined;
  }
  const origin = new URL(upstreamUrl).origin;
  const hex = file.sha1.toString('hex').toUpperCase();
  const ext = extension.exec(file.name)?.[1] ?? 'bin';
  return `${origin}/Content/${hex.slice(-2)}/${hex}.${ext}`;
}

function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  return p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p;
}

/**
 * The check every content URL and every redirect hop passes before it is requested (blind request forgery:
 * the upstream's documents and redirects decide where this server connects). Allowed: the upstream's own
 * host, and the hosts in `allowedHosts`; and the address that host resolves to must be public, unless the
 * upstream itself resolves into that range (a lab or branch WSUS on the private network or loopback may
 * redirect within it, a public upstream may not point into it). The resolution happens again when the
 * request connects; the transport applies the same rule there (connectAddressCheck), so a name that changes
 * its answer in between is refused too. Through a proxy the proxy resolves names, out of our sight.
 */
export function contentUrlGuard(
  upstreamUrl: string,
  allowedHosts: readonly string[] = microsoftContentHosts,
  resolve: (host: string) => Promise<string[]> = resolveHost,
): (url: URL) => Promise<void> {
  const upstreamHost = upstreamHostOf(upstreamUrl);
  const allowedClasses = allowedAddressClasses(upstreamUrl, resolve);
  return async (url) => {
    const host = bareHost(url.hostname.toLowerCase()).replace(/\.$/, '');
    const refuse = (reason: string, extra: Record<string, unknown> = {}) =>
      new AppError('PB_ERR_CONTENT_URL_REFUSED', `content URL ${url.origin} refused: ${reason}`, {
        detail: { url: url.origin, reason, ...extra },
      });
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`scheme ${url.protocol}`);
    if (host !== upstreamHost && !allowedHosts.some((p) => hostMatches(host, p)))
      throw refuse('host is neither the upstream nor in [upstream] content_hosts', { host });
    let addresses: string[];
    try {
      addresses = await resolve(host);
    } catch {
      // Unresolvable: the request itself fails with the usual connect error.
      return;
    }
    const ok = await allowedClasses();
    const bad = addresses.find((a) => !ok.has(addressClass(a)));
    if (bad !== undefined)
      throw refuse(`${host} resolves to ${addressClass(bad)} address ${bad}`, { host, address: bad });
  };
}
