import { constants as fsc, type Stats } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rm,
  stat as fsStat,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors.js';
import { fanOutFolder, parseSha1Hex, toSha1Hex, type ContentKey, type Sha1Hex } from './content-key.js';
import { DualDigest } from './content-digest.js';
import { closeFd, fstatFd, isErrno, lstatPath, openFd, syncDir } from './fs-io.js';
import { KeyedLock } from './keyed-lock.js';
import {
  decodeMeta,
  encodeMeta,
  identityOf,
  MetaCache,
  metaBytes,
  sameFile,
  type MetaRecord,
} from './meta-record.js';
import { OpenObjects } from './fs-open-objects.js';
import { contentChunkBytes, openRangeOf } from './range-reads.js';
import {
  checkIngestRequest,
  checkStoredMatches,
  destroySource,
  IngestDigest,
  isSizeOverrun,
  rehashMismatch,
} from './verified-ingest.js';
import type {
  ContentHandle,
  ContentStat,
  ContentStore,
  IngestExpected,
  IngestOptions,
  IngestResult,
  VerifyAction,
  VerifyAllReport,
  VerifyOutcome,
} from './content-store.js';

export interface FsContentStoreOptions {
  /** Largest object accepted by `ingest` (default 64 GiB; the biggest WSUS payloads are a few GiB). */
  readonly maxObjectBytes?: number;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
  /**
   * Told about an object that a re-verification started by `open` (its file changed since it was verified)
   * found bad and took out of service, so the caller can mark the file failed and fetch it again.
   */
  readonly onBadObject?: (outcome: VerifyOutcome) => void;
}

/*
 * Layout under the root (every name is derived from a validated SHA-1 only):
 *   <XX>/<SHA1HEX>          the object's bytes, XX = last two hex characters (WSUS fan-out)
 *   <XX>/<SHA1HEX>.meta     96-byte record: magic, version, size, storedAt, SHA-256, and the identity
 *                           (dev, ino, size, mtime, ctime) of the object file when it was last verified
 *   .partial/<SHA1HEX>      an ingest in progress or interrupted (resumable)
 *   .quarantine/<SHA1HEX>.<ms>   objects that failed verification, kept for inspection
 *   .tmp/                   metadata being written
 * The meta record is renamed into place before the object, so a visible object always has one; once the
 * object has its final name (a rename changes its ctime) the record is rewritten with the file's identity.
 * A file whose identity differs from the recorded one (rewritten in place, touched back with utimes,
 * replaced, restored from a backup, or a version-1 record without identity) is re-hashed before it is
 * served again. The record format and its cache are store-independent (meta-record.ts).
 */

export class FsContentStore implements ContentStore {
  readonly root: string;
  readonly #maxObjectBytes: number;
  readonly #now: () => number;
  readonly #lock = new KeyedLock();
  /**
   * SHA-1 -> its meta record, valid only for the object file it was read beside (dev, ino, size, mtime,
   * ctime from the fstat of the descriptor being served). Saves the open/read/close of the `.meta` file on
   * every ranged read. Another node sharing the folder that replaces, truncates, rewrites or renames the
   * object changes one of those, so the record is re-read; this store drops the entry itself on
   * publish, delete and dispose.
   */
  readonly #metaCache = new MetaCache<Sha1Hex>();
  /** Open descriptors kept between reads, revalidated by an lstat of the object's path on every open. */
  readonly #openObjects = new OpenObjects();
  /** The root with every symlink resolved (the admin may point `content.dir` anywhere); nothing below may be one. */
  readonly #realRoot: string;
  readonly #onBadObject: ((outcome: VerifyOutcome) => void) | undefined;
  /** Re-verifications started by `open`, one per object. */
  readonly #reverifying = new Map<Sha1Hex, Promise<void>>();

  private constructor(root: string, realRoot: string, opts: FsContentStoreOptions) {
    this.root = root;
    this.#realRoot = realRoot;
    this.#maxObjectBytes = opts.maxObjectBytes ?? 64 * 1024 ** 3;
    this.#now = opts.now ?? Date.now;
    this.#onBadObject = opts.onBadObject;
  }

  /** Create (if needed) the root and its working folders, and clear leftovers of interrupted metadata writes. */
  static async open(root: string, opts: FsContentStoreOptions = {}): Promise<FsContentStore> {
    await mkdir(root, { recursive: true });
    const store = new FsContentStore(root, await realpath(root), opts);
    await rm(join(root, '.tmp'), { recursive: true, force: true });
    for (const d of ['.tmp', '.partial', '.quarantine']) await mkdir(join(root, d), { recursive: true });
    return store;
  }

  /**
   * True when the object's fan-out folder is a real folder of this root: a planted symlink (to a folder
   * inside or outside the root) is never followed. O_NOFOLLOW guards only the last path component.
   */
  async #folderIsOurs(sha1: Sha1Hex): Promise<boolean> {
    const folder = fanOutFolder(sha1);
    try {
      return (await realpath(join(this.root, folder))) === join(this.#realRoot, folder);
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ELOOP') || isErrno(e, 'ENOTDIR')) return false;
      throw e;
    }
  }

  /** True while an object whose file changed since it was verified is being re-hashed (serve 503, not 404). */
  isBeingVerified(key: ContentKey): boolean {
    return this.#reverifying.has(toSha1Hex(key));
  }

  /** Settles once no re-verification started by `open` is running (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#reverifying.size > 0) await Promise.all([...this.#reverifying.values()]);
  }

  /**
   * Re-hash an object whose file no longer matches its recorded identity, in the background: good bytes get
   * the new identity recorded and are served again, bad ones are quarantined and reported.
   */
  #reverify(sha1: Sha1Hex): void {
    if (this.#reverifying.has(sha1)) return;
    const run = this.verify(sha1)
      .then((outcome) => {
        if (!outcome.ok && outcome.reason !== 'missing') this.#onBadObject?.(outcome);
      })
      .catch(() => undefined) // an unreadable file stays unserved; `content verify` reports it
      .finally(() => this.#reverifying.delete(sha1));
    this.#reverifying.set(sha1, run);
  }

  #objectPath(sha1: Sha1Hex): string {
    return join(this.root, fanOutFolder(sha1), sha1);
  }
  #metaPath(sha1: Sha1Hex): string {
    return join(this.root, fanOutFolder(sha1), `${sha1}.meta`);
  }
  #partialPath(sha1: Sha1Hex): string {
    return join(this.root, '.partial', sha1);
  }

  async #readMeta(sha1: Sha1Hex): Promise<MetaRecord | undefined> {
    let h: FileHandle;
    try {
      h = await open(this.#metaPath(sha1), 'r');
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
    try {
      const buf = Buffer.alloc(metaBytes + 1);
      const { bytesRead } = await h.read(buf, 0, buf.length, 0);
      return decodeMeta(buf.subarray(0, bytesRead));
    } finally {
      await h.close();
    }
  }

  async has(key: ContentKey): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async stat(key: ContentKey): Promise<ContentStat | undefined> {
    const h = await this.open(key);
    if (h === undefined) return undefined;
    await h.close();
    return { sha1: h.sha1, size: h.size, sha256: h.sha256, storedAt: h.storedAt };
  }

  async open(key: ContentKey): Promise<ContentHandle | undefined> {
    const sha1 = toSha1Hex(key);
    const path = this.#objectPath(sha1);
    const cached = this.#openObjects.get(sha1);
    if (cached !== undefined) {
      // One lstat instead of open + fstat + close: the cached descriptor is used only while the path still
      // names that very file (same dev/ino, size, mtime, ctime), so an object another node replaced,
      // rewrote, truncated or moved away is never read through an old descriptor.
      let lst: Stats | undefined;
      try {
        lst = await lstatPath(path);
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
      }
      if (this.#openObjects.get(sha1) === cached) {
        if (lst !== undefined && lst.isFile() && sameFile(cached.file, lst))
          return this.#openObjects.reuse(sha1, cached);
        this.#openObjects.retire(sha1);
      }
      if (lst === undefined) return undefined;
    }
    if (this.#reverifying.has(sha1) || !(await this.#folderIsOurs(sha1))) return undefined;
    let fd: number;
    try {
      // O_NOFOLLOW: a symlink planted under the root is never followed out of it.
      fd = await openFd(path, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ELOOP')) return undefined;
      throw e;
    }
    let meta: MetaRecord | undefined;
    let st: Stats;
    try {
      st = await fstatFd(fd);
      meta = st.isFile() ? await this.#metaFor(sha1, st) : undefined;
    } catch (e) {
      await closeFd(fd).catch(() => undefined);
      throw e;
    }
    // No metadata: not ours (`verify` quarantines it). A file that is not the one whose bytes were hashed
    // (rewritten, truncated, replaced, touched back): never served as is; re-hashed in the background and
    // served again only if its bytes are right.
    if (meta === undefined || meta.verifiedFile === undefined || !sameFile(meta.verifiedFile, st)) {
      await closeFd(fd);
      if (meta !== undefined) this.#reverify(sha1);
      return undefined;
    }
    return this.#openObjects.add(sha1, fd, identityOf(st), meta);
  }

  /** Closes every cached descriptor not in use (those in use close when their reader is done). */
  close(): Promise<void> {
    this.#openObjects.retireAll();
    return Promise.resolve();
  }

  /** The meta record for the object whose descriptor has stat `st`: cached when that file is unchanged. */
  async #metaFor(sha1: Sha1Hex, st: Stats): Promise<MetaRecord | undefined> {
    const cached = this.#metaCache.get(sha1, st);
    if (cached !== undefined) return cached;
    const meta = await this.#readMeta(sha1);
    this.#metaCache.remember(sha1, meta, st);
    return meta;
  }

  openRange(key: ContentKey, start: number, endInclusive: number): Promise<Readable> {
    return openRangeOf((k) => this.open(k), key, start, endInclusive);
  }

  async partialSize(key: ContentKey): Promise<number> {
    const sha1 = toSha1Hex(key);
    try {
      return (await fsStat(this.#partialPath(sha1))).size;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return 0;
      throw e;
    }
  }

  async discardPartial(key: ContentKey): Promise<void> {
    const sha1 = toSha1Hex(key);
    await this.#lock.run(sha1, () => rm(this.#partialPath(sha1), { force: true }));
  }

  async ingest(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected: IngestExpected,
    opts: IngestOptions = {},
  ): Promise<IngestResult> {
    const resumeFrom = opts.resumeFrom ?? 0;
    const sha1 = checkIngestRequest(expected, resumeFrom, this.#maxObjectBytes);
    return this.#lock.run(sha1, () => this.#ingestLocked(sha1, source, expected, resumeFrom, opts.signal));
  }

  async #ingestLocked(
    sha1: Sha1Hex,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected: IngestExpected,
    resumeFrom: number,
    signal: AbortSignal | undefined,
  ): Promise<IngestResult> {
    const existing = await this.stat(sha1);
    if (existing !== undefined) {
      destroySource(source);
      checkStoredMatches(existing, expected);
      return { ...existing, alreadyPresent: true };
    }

    const partial = this.#partialPath(sha1);
    const digest = new IngestDigest(sha1, expected);
    let fh: FileHandle;
    if (resumeFrom > 0) {
      try {
        fh = await open(partial, fsc.O_RDWR | fsc.O_NOFOLLOW);
      } catch (e) {
        destroySource(source);
        if (isErrno(e, 'ENOENT')) {
          throw new AppError('PB_ERR_CONFLICT', 'no partial download to resume', {
            detail: { sha1, resumeFrom },
          });
        }
        throw e;
      }
      try {
        const have = (await fh.stat()).size;
        if (have < resumeFrom) {
          throw new AppError('PB_ERR_CONFLICT', 'partial download is shorter than resumeFrom', {
            detail: { sha1, resumeFrom, have },
          });
        }
        if (have > resumeFrom) await fh.truncate(resumeFrom);
        // Re-hash the kept prefix: the digests must cover every byte that ends up stored.
        const buf = Buffer.allocUnsafe(contentChunkBytes);
        let pos = 0;
        while (pos < resumeFrom) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, resumeFrom - pos), pos);
          if (bytesRead === 0)
            throw new AppError('PB_ERR_CONFLICT', 'partial download shrank while resuming');
          digest.prefix(buf.subarray(0, bytesRead));
          pos += bytesRead;
        }
      } catch (e) {
        await fh.close();
        destroySource(source);
        throw e;
      }
    } else {
      fh = await open(partial, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW, 0o644);
    }

    let position = resumeFrom;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const bufs = pending;
      pending = [];
      pendingBytes = 0;
      let off = 0;
      for (const b of bufs) off += b.length;
      await fh.writev(bufs, position);
      position += off;
    };

    let failure: unknown;
    let keepPartial = false;
    try {
      for await (const chunk of source) {
        signal?.throwIfAborted();
        digest.update(chunk);
        // Copy: the producer may reuse its buffer once we yield back to it.
        const b = Buffer.from(chunk);
        pending.push(b);
        pendingBytes += b.length;
        if (pendingBytes >= contentChunkBytes) await flush();
      }
    } catch (e) {
      failure = e;
      // A transport failure leaves a valid-so-far prefix worth resuming; a size overrun does not.
      keepPartial = !isSizeOverrun(e);
    }

    try {
      if (failure !== undefined) {
        if (keepPartial) {
          await flush().catch(() => undefined);
          await fh.datasync().catch(() => undefined);
        }
        throw failure instanceof Error ? failure : new Error('ingest source failed', { cause: failure });
      }
      await flush();
      const actual = digest.finish();
      await fh.sync();
      await fh.close();
      const storedAt = this.#now();
      await this.#publish(sha1, partial, { size: actual.size, storedAt, sha256: actual.sha256 });
      return { sha1, size: actual.size, sha256: actual.sha256, storedAt, alreadyPresent: false };
    } catch (e) {
      await fh.close().catch(() => undefined);
      if (!keepPartial) await rm(partial, { force: true });
      throw e;
    }
  }

  /**
   * Metadata first, then the object, each by atomic rename, then the folder entry made durable; then the
   * metadata again with the identity of the object under its final name (a crash before that only costs a
   * re-hash at the next open).
   */
  async #publish(sha1: Sha1Hex, partial: string, meta: MetaRecord): Promise<void> {
    const dir = join(this.root, fanOutFolder(sha1));
    await mkdir(dir, { recursive: true });
    if (!(await this.#folderIsOurs(sha1)))
      throw new AppError(
        'PB_ERR_INTERNAL',
        `content folder ${dir} is not a folder of the store (a symlink?)`,
        {
          detail: { sha1 },
        },
      );
    this.#metaCache.delete(sha1);
    this.#openObjects.retire(sha1);
    await this.#writeMeta(sha1, meta);
    await rename(partial, this.#objectPath(sha1));
    await syncDir(dir);
    await this.#writeMeta(sha1, {
      ...meta,
      verifiedFile: identityOf(await lstatPath(this.#objectPath(sha1))),
    });
  }

  async #writeMeta(sha1: Sha1Hex, meta: MetaRecord): Promise<void> {
    const tmp = join(this.root, '.tmp', `${sha1}.${randomBytes(6).toString('hex')}.meta`);
    const mh = await open(tmp, 'w', 0o644);
    try {
      await mh.writeFile(encodeMeta(meta));
      await mh.sync();
    } finally {
      await mh.close();
    }
    this.#metaCache.delete(sha1);
    await rename(tmp, this.#metaPath(sha1));
  }

  async verify(key: ContentKey, opts: { action?: VerifyAction } = {}): Promise<VerifyOutcome> {
    const sha1 = toSha1Hex(key);
    const action = opts.action ?? 'quarantine';
    return this.#lock.run(sha1, async () => {
      // A planted folder symlink: nothing there is ours to hash, move or delete.
      if (!(await this.#folderIsOurs(sha1))) return { sha1, ok: false, reason: 'location', action: 'report' };
      let fh: FileHandle;
      try {
        fh = await open(this.#objectPath(sha1), fsc.O_RDONLY | fsc.O_NOFOLLOW);
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return { sha1, ok: false, reason: 'missing' };
        if (!isErrno(e, 'ELOOP')) throw e;
        await this.#dispose(sha1, action);
        return { sha1, ok: false, reason: 'metadata', action };
      }
      let reason: VerifyOutcome['reason'];
      let relabel: MetaRecord | undefined;
      try {
        const before = await fh.stat();
        const meta = await this.#readMeta(sha1);
        if (meta === undefined) {
          reason = 'metadata';
        } else {
          const digest = new DualDigest();
          const buf = Buffer.allocUnsafe(contentChunkBytes);
          let pos = 0;
          for (;;) {
            const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
            if (bytesRead === 0) break;
            digest.update(buf.subarray(0, bytesRead));
            pos += bytesRead;
          }
          reason = rehashMismatch(sha1, digest.digest(), meta);
          // Right bytes in a file that changed identity (copied back, touched, an old record): remember
          // this file as verified, unless it changed while it was being hashed.
          if (
            reason === undefined &&
            (meta.verifiedFile === undefined || !sameFile(meta.verifiedFile, before))
          ) {
            const after = await fh.stat();
            if (sameFile(identityOf(before), after)) relabel = { ...meta, verifiedFile: identityOf(after) };
          }
        }
      } finally {
        await fh.close();
      }
      if (relabel !== undefined) {
        this.#openObjects.retire(sha1);
        await this.#writeMeta(sha1, relabel);
      }
      if (reason === undefined) return { sha1, ok: true };
      await this.#dispose(sha1, action);
      return { sha1, ok: false, reason, action };
    });
  }

  /** Take a bad object out of service: renamed away (quarantine) or removed; its metadata goes too. */
  async #dispose(sha1: Sha1Hex, action: VerifyAction): Promise<void> {
    if (action === 'report') return;
    this.#metaCache.delete(sha1);
    this.#openObjects.retire(sha1);
    if (action === 'quarantine') {
      const target = join(this.root, '.quarantine', `${sha1}.${this.#now()}`);
      try {
        await rename(this.#objectPath(sha1), target);
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
      }
    } else {
      await rm(this.#objectPath(sha1), { force: true });
    }
    await rm(this.#metaPath(sha1), { force: true });
  }

  async verifyAll(opts: { action?: VerifyAction; signal?: AbortSignal } = {}): Promise<VerifyAllReport> {
    let checked = 0;
    const bad: VerifyOutcome[] = [];
    for await (const sha1 of this.list()) {
      opts.signal?.throwIfAborted();
      const outcome = await this.verify(sha1, opts.action === undefined ? {} : { action: opts.action });
      checked++;
      if (!outcome.ok && outcome.reason !== 'missing') bad.push(outcome);
    }
    return { checked, bad };
  }

  async delete(key: ContentKey): Promise<boolean> {
    const sha1 = toSha1Hex(key);
    return this.#lock.run(sha1, async () => {
      this.#metaCache.delete(sha1);
      this.#openObjects.retire(sha1);
      let existed = true;
      try {
        await rm(this.#objectPath(sha1));
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
        existed = false;
      }
      await rm(this.#metaPath(sha1), { force: true });
      return existed;
    });
  }

  async *list(): AsyncIterable<Sha1Hex> {
    const folders = await readdir(this.root, { withFileTypes: true });
    for (const f of folders) {
      if (!f.isDirectory() || !/^[0-9A-F]{2}$/.test(f.name)) continue;
      const names = await readdir(join(this.root, f.name));
      for (const n of names) {
        const sha1 = parseSha1Hex(n);
        if (sha1 !== undefined && sha1 === n && fanOutFolder(sha1) === f.name) yield sha1;
      }
    }
  }
}
