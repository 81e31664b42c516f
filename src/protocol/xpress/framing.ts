/**
 * WSUS's HTTP block framing of Xpress bodies (MS-WUSP 2.1.1, docs/protocol/upstream.md §U3.2): the body is a
 * sequence of `int32le original size, int32le compressed size, payload`, each block compressed on its own
 * (Plain LZ77, matches never cross blocks), both sizes at most 65,535; equal sizes mean the payload is stored.
 */
import { xpressError } from './errors.js';
import {
  blocksFor,
  defaultXpressDecodeLimits,
  xpressBlockHeaderBytes,
  xpressMaxBlockBytes,
  type XpressDecodeLimits,
} from './limits.js';
import { decodePlainLz77Into } from './plain-lz77-decode.js';
import { PlainLz77Encoder, plainLz77Bound, type Lz77EncoderOptions } from './plain-lz77-encode.js';

/**
 * Block size the encoder cuts bodies into: what WS2025 sends (16,352, REAL team note), which every Windows
 * Update Agent decodes; the SPEC allows up to 65,535, and the 8 KiB window makes larger blocks gain < 1 %.
 */
export const xpressDefaultBlockBytes = 16_352;

export interface XpressEncodeOptions extends Lz77EncoderOptions {
  /** Uncompressed bytes per block, 1..65,535 (default 16,352). */
  readonly blockBytes?: number;
}

/**
 * Remembers encoded blocks by their uncompressed bytes. Blocks are independent, so a block of an answer that
 * repeats another answer's block (the same GetConfig, SyncUpdates pages that differ only in the cookie at
 * their end) can reuse its payload as it is; the key and the eviction policy are the cache's business.
 */
export interface XpressBlockCache {
  /** The payload stored for exactly these bytes (compressed, or the bytes themselves when stored raw). */
  get(block: Uint8Array): Uint8Array | undefined;
  set(block: Uint8Array, payload: Uint8Array): void;
}

/**
 * An encoder with its match-finder tables and output scratch, reused across calls (synchronous, so one per
 * thread is enough; `encodeXpressBody` uses a shared one).
 */
export class XpressBodyEncoder {
  readonly #lz: PlainLz77Encoder;
  readonly #blockBytes: number;
  #scratch: Buffer = Buffer.alloc(0);

  constructor(options: XpressEncodeOptions = {}) {
    const blockBytes = options.blockBytes ?? xpressDefaultBlockBytes;
    if (!Number.isInteger(blockBytes) || blockBytes < 1 || blockBytes > xpressMaxBlockBytes)
      throw new RangeError(`xpress block size ${blockBytes} is outside 1..${xpressMaxBlockBytes}`);
    this.#blockBytes = blockBytes;
    this.#lz = new PlainLz77Encoder(options);
  }

  /** The framed Xpress body of `input`: a new Buffer of exactly its length. */
  encode(input: Uint8Array, cache?: XpressBlockCache): Buffer {
    const blocks = Math.ceil(input.length / this.#blockBytes);
    const bound = blocks * (xpressBlockHeaderBytes + plainLz77Bound(this.#blockBytes));
    // Scratch grows to the largest answer seen, up to 16 MiB; beyond that a one-off buffer is used.
    let out = this.#scratch;
    if (out.length < bound) {
      out = Buffer.allocUnsafe(bound);
      if (bound <= 16 * 1024 * 1024) this.#scratch = out;
    }
    let op = 0;
    for (let start = 0; start < input.length; start += this.#blockBytes) {
      const end = Math.min(input.length, start + this.#blockBytes);
      const n = end - start;
      const payload = op + xpressBlockHeaderBytes;
      const block = input.subarray(start, end);
      const cached = cache?.get(block);
      let size: number;
      if (cached !== undefined) {
        out.set(cached, payload);
        size = cached.length;
      } else {
        size = this.#lz.encode(input, start, end, out, payload);
        // A block compression does not shrink is stored: equal sizes mean raw bytes (§3.2, as WS2025 does).
        if (size >= n) {
          out.set(block, payload);
          size = n;
        }
        cache?.set(block, out.subarray(payload, payload + size));
      }
      out.writeInt32LE(n, op);
      out.writeInt32LE(size, op + 4);
      op = payload + size;
    }
    return Buffer.from(out.subarray(0, op));
  }
}

const shared = new XpressBodyEncoder();

/** Xpress-encodes a whole HTTP body with the default block size (a shared encoder; synchronous). */
export function encodeXpressBody(input: Uint8Array, cache?: XpressBlockCache): Buffer {
  return shared.encode(input, cache);
}

/**
 * Incremental decoder for a framed body arriving in chunks: holds at most one incomplete block (≤ 65,543
 * bytes) besides the decoded output, and refuses a body the moment a block header would take the decoded
 * total past `maxDecodedBytes`, before decoding that block.
 */
export class XpressBodyDecoder {
  readonly #limits: XpressDecodeLimits;
  readonly #decoded: Buffer[] = [];
  #decodedBytes = 0;
  #blocks = 0;
  #pending: Buffer = Buffer.alloc(0);
  #failed = false;
  /** The header at the start of `#pending` has passed #checkHeader. */
  #headerChecked = false;

  constructor(limits: Partial<XpressDecodeLimits> = {}) {
    const maxDecodedBytes = limits.maxDecodedBytes ?? defaultXpressDecodeLimits.maxDecodedBytes;
    this.#limits = {
      maxDecodedBytes,
      maxBlocks:
        limits.maxBlocks ?? Math.min(defaultXpressDecodeLimits.maxBlocks, blocksFor(maxDecodedBytes)),
    };
  }

  get decodedBytes(): number {
    return this.#decodedBytes;
  }

  /** Feeds the next chunk of the body; throws PB_ERR_DECOMPRESS on corrupt input or a bomb. */
  push(chunk: Uint8Array): void {
    if (this.#failed) throw xpressError('corrupt', 'decoder already failed');
    try {
      let data: Buffer =
        this.#pending.length === 0
          ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
          : Buffer.concat([this.#pending, chunk]);
      let pos = 0;
      for (;;) {
        if (data.length - pos < xpressBlockHeaderBytes) break;
        const original = data.readInt32LE(pos);
        const compressed = data.readInt32LE(pos + 4);
        // Each header is checked (and counted) once, when it is first complete: bombs fail right there.
        if (!this.#headerChecked) {
          this.#checkHeader(original, compressed);
          this.#headerChecked = true;
        }
        const total = xpressBlockHeaderBytes + compressed;
        if (data.length - pos < total) break;
        const payload = data.subarray(pos + xpressBlockHeaderBytes, pos + total);
        const out = Buffer.allocUnsafe(original);
        if (compressed === original) out.set(payload);
        else decodePlainLz77Into(payload, out, 0, original);
        this.#decoded.push(out);
        this.#headerChecked = false;
        pos += total;
      }
      // Copy the remainder: the caller's chunk may be reused, and a small tail must not pin a large chunk.
      data = data.subarray(pos);
      this.#pending = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
    } catch (e) {
      this.#failed = true;
      throw e;
    }
  }

  /** The decoded body; throws when the body ended inside a block. */
  end(): Buffer {
    if (this.#failed) throw xpressError('corrupt', 'decoder already failed');
    if (this.#pending.length > 0)
      throw xpressError('corrupt', `body ends inside a block (${this.#pending.length} bytes left over)`);
    return this.#decoded.length === 1 ? this.#decoded[0]! : Buffer.concat(this.#decoded, this.#decodedBytes);
  }

  #checkHeader(original: number, compressed: number): void {
    if (original < 0 || original > xpressMaxBlockBytes || compressed < 0 || compressed > xpressMaxBlockBytes)
      throw xpressError(
        'corrupt',
        `block ${this.#blocks + 1} declares sizes ${original}/${compressed} outside 0..65535`,
      );
    if (compressed > original && original === 0)
      throw xpressError('corrupt', `block ${this.#blocks + 1} declares an empty output with a payload`);
    if (++this.#blocks > this.#limits.maxBlocks)
      throw xpressError('bomb', `body has more than ${this.#limits.maxBlocks} blocks`, {
        maxBlocks: this.#limits.maxBlocks,
      });
    if (this.#decodedBytes + original > this.#limits.maxDecodedBytes)
      throw xpressError('bomb', `body decodes to more than ${this.#limits.maxDecodedBytes} bytes`, {
        maxDecodedBytes: this.#limits.maxDecodedBytes,
      });
    this.#decodedBytes += original;
  }
}

/** Decodes a whole framed Xpress body under the limits (default 64 MiB decoded). */
export function decodeXpressBody(body: Uint8Array, limits: Partial<XpressDecodeLimits> = {}): Buffer {
  const d = new XpressBodyDecoder(limits);
  d.push(body);
  return d.end();
}
