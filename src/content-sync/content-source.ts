import { AppError } from '../errors.js';

/**
 * Where update files come from (protocol.md 1.9, 2.3):
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
