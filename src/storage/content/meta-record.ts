/**
 * The meta record kept beside every stored object, and the in-memory cache of them. Store-independent: the
 * record is bytes (a sidecar file here, an object or its metadata in a bucket), and "identity" is whatever
 * pins one version of the object (here the file's dev, ino, size, mtime, ctime).
 *
 * Layout (96 bytes, big-endian): magic "PBCM", version (2), has-identity flag, size (u64 at 8), storedAt
 * (u64 at 16), SHA-256 (32 bytes at 24), then the identity as five doubles at 56. Version 1 records (56
 * bytes, no identity) are still read; their objects are re-hashed before they are served.
 */

/** The stored object as it was when its bytes were last hashed and found right. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface MetaRecord {
  size: number;
  storedAt: number;
  sha256: Buffer;
  /** The object file as it was when its bytes were last hashed and found right; absent until then. */
  verifiedFile?: FileIdentity;
}

const metaMagic = Buffer.from('PBCM', 'latin1');
const metaV1Bytes = 56;
/** The longest record: a reader asks for one byte more to tell a longer (foreign) file apart. */
export const metaBytes = 96;

export function encodeMeta(m: MetaRecord): Buffer {
  const b = Buffer.alloc(metaBytes);
  metaMagic.copy(b, 0);
  b.writeUInt8(2, 4);
  b.writeBigUInt64BE(BigInt(m.size), 8);
  b.writeBigUInt64BE(BigInt(m.storedAt), 16);
  m.sha256.copy(b, 24);
  const f = m.verifiedFile;
  if (f !== undefined) {
    b.writeUInt8(1, 5);
    [f.dev, f.ino, f.size, f.mtimeMs, f.ctimeMs].forEach((v, i) => b.writeDoubleBE(v, 56 + i * 8));
  }
  return b;
}

/** The record in `b`, or undefined when it is not one of ours (wrong magic, version or length). */
export function decodeMeta(b: Buffer): MetaRecord | undefined {
  if (b.length < metaV1Bytes || !b.subarray(0, 4).equals(metaMagic)) return undefined;
  const version = b.readUInt8(4);
  if (!((version === 1 && b.length === metaV1Bytes) || (version === 2 && b.length === metaBytes)))
    return undefined;
  const size = Number(b.readBigUInt64BE(8));
  const storedAt = Number(b.readBigUInt64BE(16));
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(storedAt)) return undefined;
  const meta: MetaRecord = { size, storedAt, sha256: Buffer.from(b.subarray(24, 56)) };
  if (version === 2 && b.readUInt8(5) === 1) {
    const [dev, ino, fileSize, mtimeMs, ctimeMs] = [0, 1, 2, 3, 4].map((i) => b.readDoubleBE(56 + i * 8));
    meta.verifiedFile = {
      dev: dev as number,
      ino: ino as number,
      size: fileSize as number,
      mtimeMs: mtimeMs as number,
      ctimeMs: ctimeMs as number,
    };
  }
  return meta;
}

/** Just the identity fields (a `Stats` carries many more). */
export function identityOf(st: FileIdentity): FileIdentity {
  const { dev, ino, size, mtimeMs, ctimeMs } = st;
  return { dev, ino, size, mtimeMs, ctimeMs };
}

export function sameFile(c: FileIdentity, st: FileIdentity): boolean {
  return (
    c.dev === st.dev &&
    c.ino === st.ino &&
    c.size === st.size &&
    c.mtimeMs === st.mtimeMs &&
    c.ctimeMs === st.ctimeMs
  );
}

/** Meta records kept in memory (56 bytes + a few numbers each): far more than the hot set of a WSUS server. */
const metaCacheEntries = 8192;

/**
 * Key -> its meta record, valid only for the object version it was read beside (the identity of the
 * object being served). Saves reading the record on every ranged read. Another node sharing the store that
 * replaces, truncates, rewrites or renames the object changes the identity, so the record is read again;
 * the store drops an entry itself on publish, delete and dispose. LRU, bounded.
 */
export class MetaCache<K> {
  readonly #entries = new Map<K, { readonly meta: MetaRecord; readonly file: FileIdentity }>();

  /** The cached record when it was read beside this very object version. */
  get(key: K, current: FileIdentity): MetaRecord | undefined {
    const cached = this.#entries.get(key);
    if (cached === undefined) return undefined;
    this.#entries.delete(key);
    if (!sameFile(cached.file, current)) return undefined;
    this.#entries.set(key, cached); // most recently used goes last
    return cached.meta;
  }

  /** Remember a record only when it matches the object: a mismatch is re-checked every time. */
  remember(key: K, meta: MetaRecord | undefined, current: FileIdentity): void {
    if (meta?.verifiedFile === undefined || !sameFile(meta.verifiedFile, current)) return;
    this.#entries.set(key, { meta, file: identityOf(current) });
    if (this.#entries.size > metaCacheEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }
}
