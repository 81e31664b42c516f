/**
 * Xpress-encodes SOAP answers (docs/protocol/upstream.md §U3) with a bounded cache of encoded blocks, so what
 * repeats across the fleet is compressed once: the same GetConfig for every client, and SyncUpdates pages
 * that are the same for every client at the same state but for the cookie near their end (each 16,352-byte
 * block before it is reused as it is). Blocks are keyed by the SHA-256 of their bytes.
 */
import { createHash } from 'node:crypto';
import { encodeXpressBody, type XpressBlockCache } from '../protocol/xpress/index.js';

/** Blocks shorter than this are not cached: cheap to compress, and the cookie-bearing tails of answers. */
const minCachedBlockBytes = 4096;

export class XpressBlockLru implements XpressBlockCache {
  readonly #entries = new Map<string, Buffer>();
  readonly #maxBytes: number;
  #bytes = 0;
  hits = 0;
  misses = 0;

  /** `maxBytes` bounds the stored payloads plus ~100 bytes per entry; 0 disables the cache. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(block: Uint8Array): Uint8Array | undefined {
    if (this.#maxBytes === 0 || block.length < minCachedBlockBytes) return undefined;
    const key = keyOf(block);
    const hit = this.#entries.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Most recently used last: Map keeps insertion order, eviction takes the first.
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit;
  }

  set(block: Uint8Array, payload: Uint8Array): void {
    if (this.#maxBytes === 0 || block.length < minCachedBlockBytes) return;
    const cost = payload.length + entryOverhead;
    if (cost > this.#maxBytes) return;
    const key = keyOf(block);
    if (this.#entries.has(key)) return;
    this.#entries.set(key, Buffer.from(payload));
    this.#bytes += cost;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.length + entryOverhead;
    }
  }
}

/** The key string, the Map slot and the Buffer object, roughly. */
const entryOverhead = 128;

function keyOf(block: Uint8Array): string {
  return createHash('sha256').update(block).digest('base64');
}

export interface XpressAnswers {
  /** The framed Xpress body of `body`. */
  encode(body: Uint8Array): Buffer;
  readonly cache: XpressBlockLru;
}

export function createXpressAnswers(cacheBytes: number): XpressAnswers {
  const cache = new XpressBlockLru(cacheBytes);
  return { cache, encode: (body) => encodeXpressBody(body, cache) };
}
