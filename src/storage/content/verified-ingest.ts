/**
 * The store-independent half of a verified ingest: the bounds of a request, the answer when the object is
 * already stored, and the running digest that refuses a source longer than announced and, at the end,
 * anything whose size, SHA-1 or SHA-256 is not the expected one. A store only supplies where the bytes go
 * (a partial file here, a multipart upload in a bucket) and the atomic publish.
 */
import { AppError } from '../../errors.js';
import { DualDigest } from './content-digest.js';
import { toSha1Hex, type Sha1Hex } from './content-key.js';
import type { ContentStat, IngestExpected } from './content-store.js';

/** Checks the expected size, SHA-256 length and resume offset; returns the object's key. */
export function checkIngestRequest(
  expected: IngestExpected,
  resumeFrom: number,
  maxObjectBytes: number,
): Sha1Hex {
  const sha1 = toSha1Hex(expected.sha1);
  const size = expected.size;
  if (!Number.isSafeInteger(size) || size < 0 || size > maxObjectBytes) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'expected size out of bounds', {
      detail: { sha1, size },
    });
  }
  if (expected.sha256 !== undefined && expected.sha256.length !== 32) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'expected SHA-256 must be 32 bytes', {
      detail: { sha1 },
    });
  }
  if (!Number.isSafeInteger(resumeFrom) || resumeFrom < 0 || resumeFrom > size) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'resumeFrom out of bounds', {
      detail: { sha1, resumeFrom, size },
    });
  }
  return sha1;
}

/** An object already stored under this SHA-1 must also have the expected size and SHA-256. */
export function checkStoredMatches(existing: ContentStat, expected: IngestExpected): void {
  const sha1 = existing.sha1;
  if (existing.size !== expected.size) {
    throw new AppError('PB_ERR_CONTENT_SIZE_MISMATCH', 'stored object has a different size', {
      detail: { sha1, expected: expected.size, actual: existing.size },
    });
  }
  if (expected.sha256 !== undefined && !existing.sha256.equals(expected.sha256)) {
    throw new AppError('PB_ERR_CONTENT_DIGEST_MISMATCH', 'stored object has a different SHA-256', {
      detail: { sha1, algorithm: 'sha256' },
    });
  }
}

/**
 * Why re-hashed bytes are not the object recorded under `sha1` (`content verify`, a re-verification), or
 * undefined when size, SHA-1 and SHA-256 all match the record.
 */
export function rehashMismatch(
  sha1: Sha1Hex,
  actual: { readonly size: number; readonly sha1: Buffer; readonly sha256: Buffer },
  recorded: { readonly size: number; readonly sha256: Buffer },
): 'size' | 'sha1' | 'sha256' | undefined {
  if (actual.size !== recorded.size) return 'size';
  if (actual.sha1.toString('hex').toUpperCase() !== sha1) return 'sha1';
  if (!actual.sha256.equals(recorded.sha256)) return 'sha256';
  return undefined;
}

/** A size overrun: the bytes so far are not a prefix worth resuming. */
export function isSizeOverrun(e: unknown): boolean {
  return e instanceof AppError && e.code === 'PB_ERR_CONTENT_SIZE_MISMATCH';
}

/** Stops a source that will not be read (already stored, or the ingest failed before reading it). */
export function destroySource(source: unknown): void {
  if (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as { destroy?: unknown }).destroy === 'function'
  )
    (source as { destroy(): void }).destroy();
}

/** SHA-1 and SHA-256 of everything that ends up stored (a resumed prefix included), checked as it goes. */
export class IngestDigest {
  readonly #digest = new DualDigest();

  constructor(
    private readonly sha1: Sha1Hex,
    private readonly expected: IngestExpected,
  ) {}

  /** Bytes hashed so far. */
  get bytes(): number {
    return this.#digest.bytes;
  }

  /** Hash a kept prefix (resume) without the size check. */
  prefix(chunk: Uint8Array): void {
    this.#digest.update(chunk);
  }

  /** Hash the next piece of the source; throws before hashing a piece that would exceed the expected size. */
  update(chunk: Uint8Array): void {
    if (this.#digest.bytes + chunk.length > this.expected.size) {
      throw new AppError('PB_ERR_CONTENT_SIZE_MISMATCH', 'content is longer than expected', {
        detail: { sha1: this.sha1, expected: this.expected.size },
      });
    }
    this.#digest.update(chunk);
  }

  /** The digests of the whole object; throws unless size, SHA-1 and (when given) SHA-256 are the expected ones. */
  finish(): { size: number; sha256: Buffer } {
    const { sha1, expected } = this;
    const actual = this.#digest.digest();
    if (actual.size !== expected.size) {
      throw new AppError('PB_ERR_CONTENT_SIZE_MISMATCH', 'content is shorter than expected', {
        detail: { sha1, expected: expected.size, actual: actual.size },
      });
    }
    if (!actual.sha1.equals(Buffer.from(expected.sha1))) {
      throw new AppError('PB_ERR_CONTENT_DIGEST_MISMATCH', 'SHA-1 does not match', {
        detail: { sha1, algorithm: 'sha1', actual: actual.sha1.toString('hex').toUpperCase() },
      });
    }
    if (expected.sha256 !== undefined && !actual.sha256.equals(Buffer.from(expected.sha256))) {
      throw new AppError('PB_ERR_CONTENT_DIGEST_MISMATCH', 'SHA-256 does not match', {
        detail: { sha1, algorithm: 'sha256', actual: actual.sha256.toString('hex') },
      });
    }
    return { size: actual.size, sha256: actual.sha256 };
  }
}
