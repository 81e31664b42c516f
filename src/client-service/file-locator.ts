import type { ContentMode } from '../domain/index.js';
import type { FileLocation } from '../protocol/client-ws/index.js';

/** A file of a revision as storage knows it. */
export interface RevisionFile {
  readonly sha1: Buffer;
  readonly fileName: string;
  readonly muUrl: string | null;
}

/** Storage + content store, as the locator needs them. */
export interface FileSource {
  filesOfRevisions(revisionIds: readonly number[]): Promise<readonly RevisionFile[]>;
  filesByDigest(sha1s: readonly Buffer[]): Promise<readonly RevisionFile[]>;
  /** The content store holds this file, verified. */
  has(sha1: Buffer): Promise<boolean>;
}

const extension = /\.([A-Za-z0-9_-]{1,32})$/;

/** `http://host:port/Content/F8/6103D9F6BF95C772C8B7EE89AEE370CDCA4642F8.exe` (REAL grammar, 9 of 9 URLs). */
export function contentUrl(baseUrl: string, sha1: Buffer, fileName: string): string {
  const hex = sha1.toString('hex').toUpperCase();
  const ext = extension.exec(fileName)?.[1] ?? 'bin';
  return `${baseUrl}/Content/${hex.slice(-2)}/${hex}.${ext}`;
}

/**
 * `content.mode` decides where clients download from (docs/protocol/client.md §1.9, decided here):
 * - `approved` / `all`: only files present and verified in our content store are announced, at
 *   `<base>/Content/<XX>/<SHA1 UPPER>.<ext>`. Announcing a file we do not hold makes the client's download
 *   fail (WS2025 does it; WSUS-RS's first native attempt got 0 updates with no locations at all).
 * - `none`: metadata only; the file's Microsoft Update URL from the update document is announced.
 */
export class FileLocator {
  constructor(
    private readonly source: FileSource,
    private readonly mode: ContentMode,
  ) {}

  async locationsForRevisions(revisionIds: readonly number[], baseUrl: string): Promise<FileLocation[]> {
    if (revisionIds.length === 0) return [];
    return this.locate(await this.source.filesOfRevisions(revisionIds), baseUrl);
  }

  async locationsForDigests(sha1s: readonly Buffer[], baseUrl: string): Promise<FileLocation[]> {
    if (sha1s.length === 0) return [];
    return this.locate(await this.source.filesByDigest(sha1s), baseUrl);
  }

  private async locate(files: readonly RevisionFile[], baseUrl: string): Promise<FileLocation[]> {
    const out: FileLocation[] = [];
    const seen = new Set<string>();
    for (const f of files) {
      const key = f.sha1.toString('hex');
      if (seen.has(key) || f.sha1.length !== 20) continue;
      seen.add(key);
      if (this.mode === 'none') {
        if (f.muUrl !== null && /^https?:\/\//i.test(f.muUrl)) out.push({ sha1: f.sha1, url: f.muUrl });
      } else if (await this.source.has(f.sha1)) {
        out.push({ sha1: f.sha1, url: contentUrl(baseUrl, f.sha1, f.fileName) });
      }
    }
    return out;
  }
}
