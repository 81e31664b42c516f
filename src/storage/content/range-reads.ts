/**
 * Ranged reads as every content store serves them: the range checks, the convenience `openRange`, and a
 * stream that reads a range in 1 MiB pieces through a positional read (a descriptor here, ranged GETs in a
 * bucket). Store-independent: nothing here touches the filesystem.
 */
import { Readable } from 'node:stream';
import { AppError } from '../../errors.js';
import { toSha1Hex, type ContentKey } from './content-key.js';
import type { ContentHandle } from './content-store.js';

/** Reads and writes move 1 MiB at a time: the piece size WUA/Delivery Optimization asks for. */
export const contentChunkBytes = 1 << 20;

/** Reads up to `length` bytes at `position` into `buf`; 0 bytes read means the object ended. */
export type PositionalRead = (
  buf: Buffer,
  length: number,
  position: number,
  done: (err: Error | null, bytesRead: number) => void,
) => void;

/** Throws PB_ERR_INVALID_PARAMETER unless [start, endInclusive] is a range of an object of `size` bytes. */
export function checkReadRange(start: number, endInclusive: number, size: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) || start < 0) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'invalid range');
  }
  if (endInclusive >= size || start > endInclusive + 1) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'range outside the object');
  }
}

/** `open` + one ranged stream; PB_ERR_NOT_FOUND when absent, the handle released on a bad range. */
export async function openRangeOf(
  open: (key: ContentKey) => Promise<ContentHandle | undefined>,
  key: ContentKey,
  start: number,
  endInclusive: number,
): Promise<Readable> {
  const h = await open(key);
  if (h === undefined)
    throw new AppError('PB_ERR_NOT_FOUND', 'content not stored', { detail: { sha1: toSha1Hex(key) } });
  try {
    return h.createReadStream(start, endInclusive);
  } catch (e) {
    await h.close();
    throw e;
  }
}

/**
 * A ranged read, 1 MiB per positional read (the callback style: no promise per read, which showed in the P6
 * profile); errors if the object yields fewer bytes than asked. `release` (which may close the descriptor)
 * runs only once no read is in flight, so a recycled descriptor number is never read.
 */
export class RangeReadStream extends Readable {
  readonly #readAt: PositionalRead;
  #pos: number;
  readonly #end: number;
  readonly #release: () => void;
  #reading = false;
  #pendingRelease: (() => void) | undefined;

  constructor(readAt: PositionalRead, start: number, endInclusive: number, release: () => void) {
    super({ highWaterMark: contentChunkBytes });
    this.#readAt = readAt;
    this.#pos = start;
    this.#end = endInclusive;
    this.#release = release;
  }

  override _read(): void {
    const want = Math.min(contentChunkBytes, this.#end + 1 - this.#pos);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafe(want);
    this.#reading = true;
    this.#readAt(buf, want, this.#pos, (err, bytesRead) => {
      this.#reading = false;
      const pendingRelease = this.#pendingRelease;
      if (pendingRelease !== undefined) {
        pendingRelease();
        return;
      }
      if (err !== null) {
        this.destroy(err);
        return;
      }
      if (bytesRead === 0) {
        this.destroy(
          new AppError('PB_ERR_CONTENT_SIZE_MISMATCH', 'stored object is shorter than its recorded size'),
        );
        return;
      }
      this.#pos += bytesRead;
      this.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
    });
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    const done = (): void => {
      this.#release();
      cb(err);
    };
    if (this.#reading) this.#pendingRelease = done;
    else done();
  }
}
