import { inflateRawSync } from 'node:zlib';
import { AppError } from '../../errors.js';
import { CAB_BLOCK_MAX } from './format.js';

/** MSZIP keeps a 32 KiB deflate window across blocks (MS-MCI 2.x). */
const HISTORY = 32768;

/**
 * MSZIP decoder for one folder: every CFDATA block is "CK" + a complete raw deflate stream whose back
 * references may reach into the previous 32 KiB of folder output, which zlib receives as a preset
 * dictionary. Output per block is bounded by zlib itself (maxOutputLength) and must equal cbUncomp.
 */
export class MszipDecoder {
  private history: Uint8Array = new Uint8Array(0);

  decodeBlock(payload: Uint8Array, uncompressedSize: number): Uint8Array {
    if (payload.length < 2 || payload[0] !== 0x43 || payload[1] !== 0x4b) {
      throw new AppError('PB_ERR_CAB_MALFORMED', 'MSZIP block without its "CK" signature');
    }
    let out: Buffer;
    try {
      out = inflateRawSync(payload.subarray(2), {
        maxOutputLength: CAB_BLOCK_MAX,
        ...(this.history.length > 0 ? { dictionary: this.history } : {}),
      });
    } catch (e) {
      throw new AppError('PB_ERR_CAB_MALFORMED', `MSZIP block does not inflate: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (out.length !== uncompressedSize) {
      throw new AppError(
        'PB_ERR_CAB_MALFORMED',
        `MSZIP block inflates to ${out.length} bytes, CFDATA says ${uncompressedSize}`,
      );
    }
    this.remember(out);
    return out;
  }

  private remember(out: Uint8Array): void {
    if (out.length >= HISTORY) {
      this.history = out.slice(out.length - HISTORY);
      return;
    }
    const keep = Math.min(this.history.length, HISTORY - out.length);
    const h = new Uint8Array(keep + out.length);
    h.set(this.history.subarray(this.history.length - keep), 0);
    h.set(out, keep);
    this.history = h;
  }
}
