import type { Readable } from 'node:stream';
import type { ContentKey, Sha1Hex } from './content-key.js';

/** Facts about a stored, fully verified object. */
export interface ContentStat {
  readonly sha1: Sha1Hex;
  readonly size: number;
  /** Raw 32-byte SHA-256, computed (and, when given, checked) at ingest. */
  readonly sha256: Buffer;
  /** When the object became visible under its final name (ms since epoch); drives Last-Modified. */
  readonly storedAt: number;
}

/** What the caller expects the bytes to be; anything else is rejected and never stored. */
export interface IngestExpected {
  /** Raw 20-byte SHA-1 (the content address). */
  readonly sha1: Uint8Array;
  /** Raw 32-byte SHA-256; verified when given (docs/protocol/client.md §1.9: verify both digests and the size). */
  readonly sha256?: Uint8Array;
  readonly size: number;
}

export interface IngestOptions {
  /**
   * Continue a previous partial download: `source` yields the bytes from this offset on (the caller asked
   * upstream for `Range: bytes=<resumeFrom>-`). The kept prefix is re-hashed before appending. Must equal
   * `partialSize()` or be smaller (the partial is then cut back to it). Omitted or 0: start from scratch.
   */
  readonly resumeFrom?: number;
  readonly signal?: AbortSignal;
}

export interface IngestResult extends ContentStat {
  /** True when the object was already stored and `source` was not read. */
  readonly alreadyPresent: boolean;
}

/** An open, verified object: size and digests pinned to one open file/version, streams read from it. */
export interface ContentHandle extends ContentStat {
  /**
   * A stream of bytes [start, endInclusive] read in 1 MiB pieces. The handle's resources are released when
   * this stream ends or is destroyed; call at most once. The stream errors if the object yields fewer bytes
   * than announced (e.g. truncated on disk after it was opened), so a server can abort the response.
   */
  createReadStream(start: number, endInclusive: number): Readable;
  /** Release the handle without reading (HEAD, 304, 416). Idempotent. */
  close(): Promise<void>;
}

export type VerifyAction = 'report' | 'quarantine' | 'delete';

export interface VerifyOutcome {
  readonly sha1: Sha1Hex;
  readonly ok: boolean;
  /**
   * Why the object is bad: wrong SHA-1, wrong SHA-256, wrong size, unreadable metadata, or a location
   * outside the store (its folder is a planted symlink: reported, never touched).
   */
  readonly reason?: 'sha1' | 'sha256' | 'size' | 'metadata' | 'missing' | 'location';
  /** What was done about a bad object. */
  readonly action?: VerifyAction;
}

export interface VerifyAllReport {
  readonly checked: number;
  readonly bad: readonly VerifyOutcome[];
}

/**
 * The content-store port: content addressed by SHA-1 (the WSUS URL key), every object verified
 * (SHA-1, SHA-256, size) before it becomes visible. Implementations: the filesystem store here, an
 * S3-compatible store later; both run `runContentStoreContract`.
 */
export interface ContentStore {
  /** True when a fully verified object is stored under this SHA-1. */
  has(key: ContentKey): Promise<boolean>;
  stat(key: ContentKey): Promise<ContentStat | undefined>;
  /**
   * Open a verified object for reading, or undefined when it is not (or no longer) stored, or when its
   * file changed since it was verified (then `isBeingVerified` is true until it has been re-hashed).
   */
  open(key: ContentKey): Promise<ContentHandle | undefined>;
  /** An object whose file changed is being re-hashed: not servable now, maybe in a moment (503, not 404). */
  isBeingVerified(key: ContentKey): boolean;
  /** Convenience: open + one ranged stream. Throws PB_ERR_NOT_FOUND when absent, PB_ERR_INVALID_PARAMETER for a bad range. */
  openRange(key: ContentKey, start: number, endInclusive: number): Promise<Readable>;
  /**
   * Stream `source` into the store, hashing SHA-1 and SHA-256 on the fly; only a full match (size and
   * digests) becomes visible, atomically. Mismatch: the partial is deleted and a typed error thrown
   * (PB_ERR_CONTENT_DIGEST_MISMATCH / PB_ERR_CONTENT_SIZE_MISMATCH). A source that fails midway leaves a
   * partial for `resumeFrom`. Concurrent ingests of one digest are serialized; the later ones find the
   * object present and do not read their source.
   */
  ingest(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected: IngestExpected,
    opts?: IngestOptions,
  ): Promise<IngestResult>;
  /** Bytes kept from an interrupted ingest of this digest (0 when none): where a resumed download starts. */
  partialSize(key: ContentKey): Promise<number>;
  /** Drop a kept partial download. */
  discardPartial(key: ContentKey): Promise<void>;
  /** Re-hash one object; a bad one is quarantined by default so it is never served again. */
  verify(key: ContentKey, opts?: { action?: VerifyAction }): Promise<VerifyOutcome>;
  verifyAll(opts?: { action?: VerifyAction; signal?: AbortSignal }): Promise<VerifyAllReport>;
  /** Remove an object; returns whether it existed. */
  delete(key: ContentKey): Promise<boolean>;
  /** Every stored SHA-1 (order unspecified). */
  list(): AsyncIterable<Sha1Hex>;
  /**
   * Release what the store keeps open between requests (cached descriptors, connections) at shutdown;
   * readers still streaming finish first. The store stays usable (it reopens what it needs).
   */
  close(): Promise<void>;
}
