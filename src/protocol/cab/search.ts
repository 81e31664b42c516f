import { AppError, isAppError } from '../../errors.js';
import { type CabinetDirectory, readCabinetDirectory } from './directory.js';

/**
 * Finds the cabinets embedded in a buffer exactly as cabextract does (libmspack cabd_find): a byte-wise
 * scan for "MSCF" (a mismatch consumes the byte, so the scan is a small state machine), a plausibility check
 * on the declared cabinet length and files offset, then a directory parse. A cabinet that parses resumes the
 * scan after its declared length; one that does not resumes just after its signature. Used for `search`
 * reads (self-extractors, concatenated cabinets) and by tests that compare with cabextract.
 */
/** Plausible-looking MSCF headers that fail to parse before the search gives up. */
const maxFalseCandidates = 1024;

export function findCabinets(buf: Uint8Array, maxMembers = 65535): CabinetDirectory[] {
  const found: CabinetDirectory[] = [];
  let falseCandidates = 0;
  const flen = buf.length;
  let p = 0;
  while (p < flen) {
    // state 0..3: look for M, S, C, F; a mismatch at state 1..3 consumes that byte.
    let state = 0;
    while (p < flen && state < 4) {
      const c = buf[p++]!;
      if (state === 0) state = c === 0x4d ? 1 : 0;
      else if (state === 1) state = c === 0x53 ? 2 : 0;
      else if (state === 2) state = c === 0x43 ? 3 : 0;
      else state = c === 0x46 ? 4 : 0;
    }
    if (state < 4) break;
    const caboff = p - 4;
    if (caboff + 20 > flen) break; // libmspack needs 20 header bytes in the stream to consider a candidate
    const cablen =
      (buf[caboff + 8]! | (buf[caboff + 9]! << 8) | (buf[caboff + 10]! << 16) | (buf[caboff + 11]! << 24)) >>>
      0;
    const foffset =
      (buf[caboff + 16]! |
        (buf[caboff + 17]! << 8) |
        (buf[caboff + 18]! << 16) |
        (buf[caboff + 19]! << 24)) >>>
      0;
    let nextOffset = caboff + 4;
    if (foffset < cablen && caboff + foffset < flen + 32 && caboff + cablen < flen + 32) {
      try {
        found.push(readCabinetDirectory(buf, caboff, maxMembers));
        nextOffset = caboff + cablen;
      } catch (e) {
        if (!isAppError(e) || e.code === 'PB_ERR_CAB_LIMIT') throw e;
        // Each candidate parse may walk the rest of the buffer: bound the work on inputs full of "MSCF".
        if (++falseCandidates > maxFalseCandidates) {
          throw new AppError('PB_ERR_CAB_LIMIT', `more than ${maxFalseCandidates} false cabinet headers`);
        }
      }
    }
    p = nextOffset;
  }
  return found;
}
