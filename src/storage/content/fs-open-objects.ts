/**
 * The filesystem store's open descriptors, shared by the handles reading one object and kept between
 * requests (LRU): the hot set of a WSUS server is a few dozen large payloads, and an open + fstat + close per
 * ranged read showed in the P6 profile. A descriptor is closed once it is retired (evicted, replaced,
 * deleted, quarantined, store closed) and no handle uses it any more.
 */
import { close as fsClose, read as fsRead } from 'node:fs';
import type { Readable } from 'node:stream';
import { AppError } from '../../errors.js';
import type { Sha1Hex } from './content-key.js';
import type { ContentHandle } from './content-store.js';
import type { FileIdentity, MetaRecord } from './meta-record.js';
import { checkReadRange, RangeReadStream } from './range-reads.js';

export interface OpenObject {
  readonly fd: number;
  /** The file the descriptor was opened on: the path must still name it for the descriptor to be reused. */
  readonly file: FileIdentity;
  readonly meta: MetaRecord;
  refs: number;
  retired: boolean;
}

/** Open descriptors kept per store. */
const openObjectsCached = 64;

export class OpenObjects {
  /** SHA-1 -> an open descriptor of the object, LRU (most recently used last). */
  readonly #entries = new Map<Sha1Hex, OpenObject>();

  get(sha1: Sha1Hex): OpenObject | undefined {
    return this.#entries.get(sha1);
  }

  /** A new handle on a cached descriptor (the caller checked the path still names its file). */
  reuse(sha1: Sha1Hex, entry: OpenObject): ContentHandle {
    entry.refs++;
    this.#entries.delete(sha1); // most recently used goes last
    this.#entries.set(sha1, entry);
    return handleOf(sha1, entry);
  }

  /** Caches a freshly opened, verified descriptor and returns the first handle on it. */
  add(sha1: Sha1Hex, fd: number, file: FileIdentity, meta: MetaRecord): ContentHandle {
    const entry: OpenObject = { fd, file, meta, refs: 1, retired: false };
    if (this.#entries.has(sha1)) {
      // A concurrent open cached its own descriptor first: this one is closed after use.
      entry.retired = true;
    } else {
      this.#entries.set(sha1, entry);
      if (this.#entries.size > openObjectsCached) {
        const oldest = this.#entries.keys().next();
        if (oldest.done !== true) this.retire(oldest.value);
      }
    }
    return handleOf(sha1, entry);
  }

  /** Stop handing out an object's cached descriptor; it is closed once its last reader is done. */
  retire(sha1: Sha1Hex): void {
    const entry = this.#entries.get(sha1);
    if (entry === undefined) return;
    this.#entries.delete(sha1);
    entry.retired = true;
    if (entry.refs === 0) fsClose(entry.fd, () => undefined);
  }

  retireAll(): void {
    for (const sha1 of [...this.#entries.keys()]) this.retire(sha1);
  }
}

/** A handle holding one reference on `entry`, released by `close()` or when its stream ends. */
function handleOf(sha1: Sha1Hex, entry: OpenObject): ContentHandle {
  const { meta, fd } = entry;
  let released = false;
  let streaming = false;
  const release = (): void => {
    if (released) return;
    released = true;
    entry.refs--;
    if (entry.retired && entry.refs === 0) fsClose(fd, () => undefined);
  };
  return {
    sha1,
    size: meta.size,
    sha256: meta.sha256,
    storedAt: meta.storedAt,
    createReadStream: (start: number, endInclusive: number): Readable => {
      if (released || streaming) throw new AppError('PB_ERR_INTERNAL', 'content handle already used');
      checkReadRange(start, endInclusive, meta.size);
      streaming = true;
      return new RangeReadStream(
        (buf, length, position, done) => fsRead(fd, buf, 0, length, position, done),
        start,
        endInclusive,
        release,
      );
    },
    close: (): Promise<void> => {
      if (!streaming) release();
      return Promise.resolve();
    },
  };
}
