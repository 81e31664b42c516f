/**
 * MS-XCA 2.4 Plain LZ77 decompression of one block (docs/protocol/upstream.md §U3.3). The caller knows the
 * block's decoded size (WSUS framing) and gives the output slot, so the decoder never allocates and never
 * writes beyond it: every length is checked against the room left before a byte is copied.
 */
import { xpressError } from './errors.js';

/**
 * Decodes `input` into `out[outStart, outStart + outLength)`, which it fills exactly. Matches never reach
 * before `outStart` (blocks are independent). Throws PB_ERR_DECOMPRESS (`corrupt`) on a read past the input, a
 * distance beyond the bytes produced, a length beyond the declared size, or an end before it.
 */
export function decodePlainLz77Into(
  input: Uint8Array,
  out: Uint8Array,
  outStart: number,
  outLength: number,
): void {
  const inLen = input.length;
  const end = outStart + outLength;
  let inPos = 0;
  let outPos = outStart;
  let flags = 0;
  let flagCount = 0;
  // Position of the byte whose high nibble the next long match uses (MS-XCA LastLengthHalfByte), or -1.
  let sharedNibble = -1;
  while (outPos < end) {
    if (flagCount === 0) {
      if (inPos + 4 > inLen) throw truncated(outPos - outStart, outLength);
      flags =
        (input[inPos]! | (input[inPos + 1]! << 8) | (input[inPos + 2]! << 16) | (input[inPos + 3]! << 24)) >>>
        0;
      inPos += 4;
      flagCount = 32;
    }
    flagCount--;
    if (((flags >>> flagCount) & 1) === 0) {
      if (inPos >= inLen) throw truncated(outPos - outStart, outLength);
      out[outPos++] = input[inPos++]!;
      continue;
    }
    // A 1-flag with the input exhausted is the end marker: too early, the declared size is not reached.
    if (inPos + 2 > inLen) throw truncated(outPos - outStart, outLength);
    const token = input[inPos]! | (input[inPos + 1]! << 8);
    inPos += 2;
    const distance = (token >>> 3) + 1;
    let length = token & 7;
    if (length === 7) {
      if (sharedNibble < 0) {
        if (inPos >= inLen) throw truncated(outPos - outStart, outLength);
        sharedNibble = inPos;
        length = input[inPos++]! & 15;
      } else {
        length = input[sharedNibble]! >>> 4;
        sharedNibble = -1;
      }
      if (length === 15) {
        if (inPos >= inLen) throw truncated(outPos - outStart, outLength);
        length = input[inPos++]!;
        if (length === 255) {
          if (inPos + 2 > inLen) throw truncated(outPos - outStart, outLength);
          length = input[inPos]! | (input[inPos + 1]! << 8);
          inPos += 2;
          if (length === 0) {
            // MS-XCA's 32-bit escape; 64 KiB blocks never need it, but it is valid Plain LZ77.
            if (inPos + 4 > inLen) throw truncated(outPos - outStart, outLength);
            length =
              (input[inPos]! |
                (input[inPos + 1]! << 8) |
                (input[inPos + 2]! << 16) |
                (input[inPos + 3]! << 24)) >>>
              0;
            inPos += 4;
          }
          if (length < 15 + 7)
            throw xpressError('corrupt', `match length field ${length} below its minimum 22`);
          length -= 15 + 7;
        }
        length += 15;
      }
      length += 7;
    }
    length += 3;
    const produced = outPos - outStart;
    if (distance > produced)
      throw xpressError(
        'corrupt',
        `match distance ${distance} reaches before the block (${produced} bytes produced)`,
      );
    if (length > end - outPos)
      throw xpressError('corrupt', `match of ${length} bytes overruns the declared block size ${outLength}`, {
        declared: outLength,
      });
    let from = outPos - distance;
    if (distance >= length) {
      out.copyWithin(outPos, from, from + length);
      outPos += length;
    } else {
      // Overlapping copy (a run): byte by byte, each byte may be one this match just wrote.
      const stop = outPos + length;
      while (outPos < stop) out[outPos++] = out[from++]!;
    }
  }
}

function truncated(produced: number, declared: number) {
  return xpressError('corrupt', `block ends after ${produced} of its ${declared} bytes`, {
    produced,
    declared,
  });
}
