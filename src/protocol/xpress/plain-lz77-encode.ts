/**
 * MS-XCA 2.3 Plain LZ77 compression of one block (docs/protocol/upstream.md §U3.3), with a hash-chain match
 * finder over the input Buffer: a head table indexed by a hash of the next 3 bytes and a chain of earlier
 * positions inside the 8 KiB window. Tables are typed arrays allocated once per encoder and reused across
 * blocks and calls (positions are absolute in a growing counter, so stale entries fall out of the window by
 * arithmetic instead of being cleared); the output goes into a caller-sized Buffer. No per-byte allocation.
 */
import { xpressMaxBlockBytes, xpressWindowBytes } from './limits.js';

const hashBits = 15;
const hashSize = 1 << hashBits;
const chainMask = xpressWindowBytes - 1;
const minMatch = 3;

export interface Lz77EncoderOptions {
  /**
   * Chain steps per position: more finds longer matches, fewer is faster. 8 gives XML answers within a few
   * per cent of the best ratio at several times the speed of an unbounded search (bench/xpress.bench.ts).
   */
  readonly maxChain?: number;
  /** Stop searching once a match this long is found. */
  readonly niceLength?: number;
  /** Positions inside a match that are indexed for later matches, from its start. */
  readonly maxInsert?: number;
}

/** Worst-case output of a block of `n` bytes: every byte a literal, a flag word per 32 items, the end word. */
export function plainLz77Bound(n: number): number {
  return n + 4 * (Math.floor(n / 32) + 2);
}

export class PlainLz77Encoder {
  readonly #head = new Int32Array(hashSize);
  readonly #chain = new Int32Array(xpressWindowBytes);
  readonly #maxChain: number;
  readonly #nice: number;
  readonly #maxInsert: number;
  /** Absolute position of input byte 0 of the current call; grows so that old table entries are stale. */
  #base = xpressWindowBytes + 1;

  constructor(options: Lz77EncoderOptions = {}) {
    this.#maxChain = options.maxChain ?? 8;
    this.#nice = options.niceLength ?? 258;
    this.#maxInsert = options.maxInsert ?? 16;
    this.#head.fill(0);
  }

  /**
   * Compresses `input[start, end)` (at most 65,535 bytes) into `out` from `outStart`; `out` must have
   * `plainLz77Bound(end - start)` bytes of room. Returns the number of bytes written.
   */
  encode(input: Uint8Array, start: number, end: number, out: Uint8Array, outStart: number): number {
    const n = end - start;
    if (n < 0 || n > xpressMaxBlockBytes) throw new RangeError(`block of ${n} bytes`);
    // Keep absolute positions well inside int32; on wrap, forget everything (one fill per ~1 GiB encoded).
    if (this.#base + n + xpressWindowBytes > 0x7fff0000) {
      this.#head.fill(0);
      this.#base = xpressWindowBytes + 1;
    }
    const head = this.#head;
    const chain = this.#chain;
    const maxChain = this.#maxChain;
    const niceLength = this.#nice;
    const maxInsert = this.#maxInsert;
    const base = this.#base - start; // absolute position of input[i] = base + i
    const blockFloor = base + start; // no match may start before the block
    let op = outStart;
    let flagPos = op;
    op += 4;
    let flags = 0;
    let flagCount = 0;
    let sharedNibble = -1;
    let i = start;
    const lastMatchStart = end - minMatch; // a match needs 3 bytes
    while (i < end) {
      let bestLen = 0;
      let bestDist = 0;
      if (i <= lastMatchStart) {
        const abs = base + i;
        const h = hash3(input, i);
        let cand = head[h]!;
        head[h] = abs;
        chain[abs & chainMask] = cand;
        const floor = abs - xpressWindowBytes > blockFloor ? abs - xpressWindowBytes : blockFloor;
        const maxLen = end - i;
        const nice = niceLength < maxLen ? niceLength : maxLen;
        for (let steps = maxChain; cand >= floor && steps > 0; steps--) {
          const c = cand - base;
          if (
            input[c + bestLen] === input[i + bestLen] &&
            input[c] === input[i] &&
            input[c + 1] === input[i + 1]
          ) {
            let len = 2;
            while (len < maxLen && input[c + len] === input[i + len]) len++;
            if (len > bestLen) {
              bestLen = len;
              bestDist = abs - cand;
              if (len >= nice) break;
            }
          }
          const next = chain[cand & chainMask]!;
          if (next >= cand) break;
          cand = next;
        }
      }
      if (bestLen >= minMatch) {
        // Token: distance − 1 in the high 13 bits, min(length − 3, 7) in the low 3.
        let rest = bestLen - minMatch;
        const token = ((bestDist - 1) << 3) | (rest < 7 ? rest : 7);
        out[op++] = token & 0xff;
        out[op++] = token >>> 8;
        if (rest >= 7) {
          rest -= 7;
          const nibble = rest < 15 ? rest : 15;
          if (sharedNibble < 0) {
            sharedNibble = op;
            out[op++] = nibble;
          } else {
            out[sharedNibble]! |= nibble << 4;
            sharedNibble = -1;
          }
          if (rest >= 15) {
            rest -= 15;
            if (rest < 255) out[op++] = rest;
            else {
              // 16-bit field holds length − 3; blocks ≤ 65,535 bytes never need the 32-bit escape.
              rest += 15 + 7;
              out[op++] = 255;
              out[op++] = rest & 0xff;
              out[op++] = rest >>> 8;
            }
          }
        }
        // Index the positions a short match covers so later text can refer into them; inside a long match
        // only its first bytes (as zlib's fast levels do): the long run is found again from its start.
        const covered = bestLen < maxInsert ? bestLen : maxInsert;
        const stop = Math.min(i + covered, lastMatchStart + 1);
        for (let j = i + 1; j < stop; j++) {
          const a = base + j;
          const h = hash3(input, j);
          chain[a & chainMask] = head[h]!;
          head[h] = a;
        }
        i += bestLen;
        flags = (flags << 1) | 1;
      } else {
        out[op++] = input[i++]!;
        flags <<= 1;
      }
      if (++flagCount === 32) {
        writeU32(out, flagPos, flags);
        flagCount = 0;
        flags = 0;
        flagPos = op;
        op += 4;
      }
    }
    // End: the pending flags shifted up, every unused low bit 1 (a full word of ones when none is pending).
    const pad = 32 - flagCount;
    writeU32(out, flagPos, pad === 32 ? 0xffffffff : ((flags << pad) | ((1 << pad) - 1)) >>> 0);
    this.#base += n + xpressWindowBytes + 1;
    return op - outStart;
  }
}

function hash3(b: Uint8Array, i: number): number {
  return (
    (Math.imul((b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!, 0x9e3779b1) >>> (32 - hashBits)) & (hashSize - 1)
  );
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = v >>> 24;
}
