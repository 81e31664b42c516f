/**
 * Hard limits of the Xpress codec (docs/protocol/upstream.md §U3). Every Xpress body is untrusted input: a block
 * declares its decoded size, and 16 bytes of LZ77 can declare 65,535 bytes, so a body is a decompression bomb
 * unless the total it may decode to is capped before a byte is produced.
 */

/** MS-WUSP 2.1.1: neither size of a block exceeds 65,535 (SPEC); WS2025 used 16,352-byte blocks (REAL). */
export const xpressMaxBlockBytes = 65_535;

/** Match distances reach at most 8,192 bytes back (MS-XCA 2.3: 13 bits of distance − 1). */
export const xpressWindowBytes = 8_192;

/** The 8-byte block header: original size, then compressed size, both int32 little-endian. */
export const xpressBlockHeaderBytes = 8;

export interface XpressDecodeLimits {
  /** Refuse a body that declares or produces more decoded bytes than this (PB_ERR_DECOMPRESS, `bomb`). */
  readonly maxDecodedBytes: number;
  /** Refuse a body with more blocks than this. Empty blocks cost a header each and produce nothing. */
  readonly maxBlocks: number;
}

/** Blocks a body of `decodedBytes` may need when its blocks average at least 1 KiB (never fewer than 16). */
export function blocksFor(decodedBytes: number): number {
  return Math.max(16, Math.ceil(decodedBytes / 1024) + 1);
}

/**
 * Defaults: 64 MiB decoded (the largest real answers, GetUpdateData batches, stay far below; the transport
 * passes its own response limit), and blocks of 1 KiB on average (`blocksFor`; WS2025 sends 16,352).
 */
export const defaultXpressDecodeLimits: XpressDecodeLimits = {
  maxDecodedBytes: 64 * 1024 * 1024,
  maxBlocks: blocksFor(64 * 1024 * 1024),
};
