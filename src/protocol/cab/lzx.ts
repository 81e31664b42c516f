import { AppError } from '../../errors.js';
import { HUFF_MAXBITS, makeDecodeTable } from './lzx-huffman.js';

/*
 * LZX decoder (CAB flavour), after libmspack's lzxd.c: 32 KiB output frames, the input bitstream realigned to
 * 16 bits after each frame, verbatim / aligned-offset / uncompressed blocks that may span frames, the three
 * repeated offsets R0-R2, and Intel E8 call translation applied to output frames (never to the window) for
 * the first 32768 frames. A folder is one stream (no reset interval). Every malformed input ends in an
 * AppError: table builds must give complete codes, matches may not run past the window or before the start
 * of the stream, and input may be over-read by at most 2 zero bytes (as libmspack allows).
 */

const FRAME_SIZE = 32768;
const MIN_MATCH = 2;
const NUM_CHARS = 256;
const NUM_PRIMARY_LENGTHS = 7;
const NUM_SECONDARY_LENGTHS = 249;

const BLOCKTYPE_VERBATIM = 1;
const BLOCKTYPE_ALIGNED = 2;
const BLOCKTYPE_UNCOMPRESSED = 3;

const PRETREE_MAXSYMBOLS = 20;
const PRETREE_TABLEBITS = 6;
const MAINTREE_MAXSYMBOLS = NUM_CHARS + 290 * 8;
const MAINTREE_TABLEBITS = 12;
const LENGTH_MAXSYMBOLS = NUM_SECONDARY_LENGTHS + 1;
const LENGTH_TABLEBITS = 12;
const ALIGNED_MAXSYMBOLS = 8;
const ALIGNED_TABLEBITS = 7;
/** read_lens may run up to 51 entries past its range (a run of zeros); the arrays leave room. */
const LENTABLE_SAFETY = 64;

const POSITION_SLOTS = [30, 32, 34, 36, 38, 42, 50] as const; // window 2^15 .. 2^21

const EXTRA_BITS = new Uint8Array(290);
const POSITION_BASE = new Uint32Array(290);
{
  for (let i = 0, j = 0; i < 290; i += 2) {
    EXTRA_BITS[i] = j;
    EXTRA_BITS[i + 1] = j;
    if (i !== 0 && j < 17) j++;
  }
  let base = 0;
  for (let i = 0; i < 290; i++) {
    POSITION_BASE[i] = base;
    base += 2 ** EXTRA_BITS[i]!;
  }
}

function decrunch(message: string): AppError {
  return new AppError('PB_ERR_CAB_MALFORMED', `LZX: ${message}`);
}

/** Supplies the folder's CFDATA payloads in order (checksums verified by the caller); null at the end. */
export type LzxInput = () => Uint8Array | null;

class HuffTree {
  readonly lens: Uint8Array;
  readonly table: Uint16Array;
  constructor(
    readonly maxSymbols: number,
    readonly tableBits: number,
  ) {
    this.lens = new Uint8Array(maxSymbols + LENTABLE_SAFETY);
    this.table = new Uint16Array((1 << tableBits) + maxSymbols * 2);
  }
  build(name: string): void {
    if (!makeDecodeTable(this.maxSymbols, this.tableBits, this.lens, this.table)) {
      throw decrunch(`cannot build the ${name} table`);
    }
  }
  /** LENGTH may be empty (no long matches in the block); returns whether it is. */
  buildMaybeEmpty(name: string): boolean {
    if (makeDecodeTable(this.maxSymbols, this.tableBits, this.lens, this.table)) return false;
    for (let i = 0; i < this.maxSymbols; i++)
      if (this.lens[i]! > 0) throw decrunch(`cannot build the ${name} table`);
    return true;
  }
}

export class LzxDecoder {
  private readonly windowSize: number;
  private readonly window: Uint8Array;
  private readonly numOffsets: number;

  private readonly pretree = new HuffTree(PRETREE_MAXSYMBOLS, PRETREE_TABLEBITS);
  private readonly maintree = new HuffTree(MAINTREE_MAXSYMBOLS, MAINTREE_TABLEBITS);
  private readonly lengthtree = new HuffTree(LENGTH_MAXSYMBOLS, LENGTH_TABLEBITS);
  private readonly alignedtree = new HuffTree(ALIGNED_MAXSYMBOLS, ALIGNED_TABLEBITS);
  private lengthEmpty = false;

  // input
  private inBuf: Uint8Array = new Uint8Array(0);
  private inPos = 0;
  private padBytes = 0;
  private bitBuf = 0; // up to 32 bits, MSB-aligned
  private bitsLeft = 0;

  // stream state
  private r0 = 1;
  private r1 = 1;
  private r2 = 1;
  private headerRead = false;
  private blockType = 0;
  private blockLength = 0;
  private blockRemaining = 0;
  private intelFileSize = 0;
  private intelStarted = false;
  private windowPosn = 0;
  private framePosn = 0;
  private frame = 0;
  private offset = 0;

  /**
   * @param expectedOutput the folder's total uncompressed size, if known: a stream shorter than the window
   *   never wraps it, so only that much window (plus room for one overrunning match) is allocated. A WSUS
   *   blob of 10 KB then costs 33 KB instead of 2 MiB.
   */
  constructor(
    windowBits: number,
    private readonly input: LzxInput,
    private readonly expectedOutput = Infinity,
  ) {
    if (windowBits < 15 || windowBits > 21) {
      throw new AppError(
        'PB_ERR_CAB_UNSUPPORTED',
        `LZX window 2^${windowBits} (only 2^15..2^21 exist in CAB)`,
      );
    }
    this.windowSize = 1 << windowBits;
    const alloc = Math.ceil(expectedOutput / FRAME_SIZE) * FRAME_SIZE + 512;
    this.window = new Uint8Array(alloc < this.windowSize ? alloc : this.windowSize);
    this.numOffsets = POSITION_SLOTS[windowBits - 15]! << 3;
  }

  // ---- input -------------------------------------------------------------------------------------------

  private readByteSlow(): number {
    while (this.inPos >= this.inBuf.length) {
      const next = this.input();
      if (next === null) {
        // libmspack feeds 2 zero bytes past the end once (bit readers ask for bits they never use).
        if (this.padBytes < 2) {
          this.padBytes++;
          return 0;
        }
        throw decrunch('out of input data');
      }
      this.inBuf = next;
      this.inPos = 0;
    }
    return this.inBuf[this.inPos++]!;
  }

  private readByte(): number {
    return this.inPos < this.inBuf.length ? this.inBuf[this.inPos++]! : this.readByteSlow();
  }

  private ensure(n: number): void {
    while (this.bitsLeft < n) {
      let w: number;
      const p = this.inPos;
      if (p + 1 < this.inBuf.length) {
        w = this.inBuf[p]! | (this.inBuf[p + 1]! << 8);
        this.inPos = p + 2;
      } else {
        const lo = this.readByte();
        w = lo | (this.readByte() << 8);
      }
      this.bitBuf = (this.bitBuf | (w << (16 - this.bitsLeft))) >>> 0;
      this.bitsLeft += 16;
    }
  }

  private readBits(n: number): number {
    if (n === 0) return 0;
    this.ensure(n);
    const v = this.bitBuf >>> (32 - n);
    this.bitBuf = (this.bitBuf << n) >>> 0;
    this.bitsLeft -= n;
    return v;
  }

  private removeBits(n: number): void {
    if (n === 0) return;
    this.bitBuf = n >= 32 ? 0 : (this.bitBuf << n) >>> 0;
    this.bitsLeft -= n;
  }

  private readSym(tree: HuffTree): number {
    this.ensure(HUFF_MAXBITS);
    const table = tree.table;
    let sym = table[this.bitBuf >>> (32 - tree.tableBits)]!;
    if (sym >= tree.maxSymbols) {
      let mask = 1 << (31 - tree.tableBits);
      do {
        if (mask < 0x10000) throw decrunch('out of bits in huffman decode');
        const idx = (sym << 1) | ((this.bitBuf & mask) !== 0 ? 1 : 0);
        if (idx >= table.length) throw decrunch('bad huffman code');
        sym = table[idx]!;
        mask >>>= 1;
      } while (sym >= tree.maxSymbols);
    }
    this.removeBits(tree.lens[sym]!);
    return sym;
  }

  private readLengths(tree: HuffTree, first: number, last: number): void {
    const pre = this.pretree;
    for (let x = 0; x < 20; x++) pre.lens[x] = this.readBits(4);
    pre.build('PRETREE');
    const lens = tree.lens;
    for (let x = first; x < last;) {
      let z = this.readSym(pre);
      if (z === 17) {
        let y = this.readBits(4) + 4;
        while (y-- > 0) lens[x++] = 0;
      } else if (z === 18) {
        let y = this.readBits(5) + 20;
        while (y-- > 0) lens[x++] = 0;
      } else if (z === 19) {
        let y = this.readBits(1) + 4;
        z = this.readSym(pre);
        z = lens[x]! - z;
        if (z < 0) z += 17;
        while (y-- > 0) lens[x++] = z;
      } else {
        z = lens[x]! - z;
        if (z < 0) z += 17;
        lens[x++] = z;
      }
    }
  }

  // ---- decoding ----------------------------------------------------------------------------------------

  /**
   * Decodes frames until at least `needed` bytes are out, emitting each frame (after E8 translation).
   * `total` is the folder's uncompressed size (sum of cbUncomp): every frame is 32 KiB except the last.
   */
  decode(total: number, needed: number, emit: (frame: Uint8Array) => void): void {
    const window = this.window;
    if (total > this.expectedOutput)
      throw new AppError('PB_ERR_INTERNAL', 'LZX window sized for a shorter stream');
    while (this.offset < needed) {
      if (!this.headerRead) {
        let i = 0;
        let j = 0;
        if (this.readBits(1) !== 0) {
          i = this.readBits(16);
          j = this.readBits(16);
        }
        this.intelFileSize = (i << 16) | j | 0;
        this.headerRead = true;
      }

      let frameSize = FRAME_SIZE;
      if (total - this.offset < frameSize) frameSize = total - this.offset;
      if (frameSize <= 0) throw decrunch('output beyond the folder size');

      let bytesTodo = this.framePosn + frameSize - this.windowPosn;
      while (bytesTodo > 0) {
        if (this.blockRemaining === 0) this.readBlockHeader();

        let thisRun = Math.min(this.blockRemaining, bytesTodo);
        bytesTodo -= thisRun;
        this.blockRemaining -= thisRun;

        if (this.blockType === BLOCKTYPE_UNCOMPRESSED) {
          // A run never crosses a frame, so it never wraps the window (a multiple of 32 KiB).
          let w = this.windowPosn;
          this.windowPosn += thisRun;
          while (thisRun > 0) {
            const avail = this.inBuf.length - this.inPos;
            if (avail === 0) {
              window[w++] = this.readByteSlow();
              thisRun--;
              continue;
            }
            const n = Math.min(avail, thisRun);
            window.set(this.inBuf.subarray(this.inPos, this.inPos + n), w);
            w += n;
            this.inPos += n;
            thisRun -= n;
          }
        } else {
          thisRun = this.decodeRun(thisRun, this.blockType === BLOCKTYPE_ALIGNED);
        }

        // A final match may overrun the run; it must still fit in the block.
        if (thisRun < 0) {
          if (-thisRun > this.blockRemaining) throw decrunch('match runs past the end of its block');
          this.blockRemaining -= -thisRun;
        }
      }

      if (this.windowPosn - this.framePosn !== frameSize) throw decrunch('decoded beyond the output frame');

      // Re-align the input bitstream to 16 bits.
      if (this.bitsLeft > 0) this.ensure(16);
      if ((this.bitsLeft & 15) !== 0) this.removeBits(this.bitsLeft & 15);

      const raw = window.subarray(this.framePosn, this.framePosn + frameSize);
      const out = new Uint8Array(frameSize);
      out.set(raw);
      if (this.intelStarted && this.intelFileSize !== 0 && this.frame < 32768 && frameSize > 10) {
        this.translateE8(out, frameSize);
      }
      emit(out);
      this.offset += frameSize;
      this.framePosn += frameSize;
      this.frame++;
      if (this.windowPosn === this.windowSize) this.windowPosn = 0;
      if (this.framePosn === this.windowSize) this.framePosn = 0;
    }
  }

  private readBlockHeader(): void {
    // An odd-length uncompressed block is followed by one padding byte.
    if (this.blockType === BLOCKTYPE_UNCOMPRESSED && (this.blockLength & 1) !== 0) this.readByte();

    this.blockType = this.readBits(3);
    const hi = this.readBits(16);
    const lo = this.readBits(8);
    this.blockLength = this.blockRemaining = (hi << 8) | lo;

    switch (this.blockType) {
      case BLOCKTYPE_ALIGNED:
      case BLOCKTYPE_VERBATIM:
        if (this.blockType === BLOCKTYPE_ALIGNED) {
          // The aligned-offset tree comes first; the rest of the header is the verbatim one.
          for (let i = 0; i < 8; i++) this.alignedtree.lens[i] = this.readBits(3);
          this.alignedtree.build('ALIGNED');
        }
        this.readLengths(this.maintree, 0, 256);
        this.readLengths(this.maintree, 256, NUM_CHARS + this.numOffsets);
        this.maintree.build('MAINTREE');
        if (this.maintree.lens[0xe8] !== 0) this.intelStarted = true;
        this.readLengths(this.lengthtree, 0, NUM_SECONDARY_LENGTHS);
        this.lengthEmpty = this.lengthtree.buildMaybeEmpty('LENGTH');
        break;
      case BLOCKTYPE_UNCOMPRESSED: {
        this.intelStarted = true;
        // Skip 1-16 bits to reach a 16-bit boundary, then 12 bytes of R0, R1, R2.
        if (this.bitsLeft === 0) this.ensure(16);
        this.bitsLeft = 0;
        this.bitBuf = 0;
        const r = new Uint8Array(12);
        for (let i = 0; i < 12; i++) r[i] = this.readByte();
        this.r0 = (r[0]! | (r[1]! << 8) | (r[2]! << 16) | (r[3]! << 24)) >>> 0;
        this.r1 = (r[4]! | (r[5]! << 8) | (r[6]! << 16) | (r[7]! << 24)) >>> 0;
        this.r2 = (r[8]! | (r[9]! << 8) | (r[10]! << 16) | (r[11]! << 24)) >>> 0;
        break;
      }
      default:
        throw decrunch(`bad block type ${this.blockType}`);
    }
  }

  /** Decodes literals and matches for at least `run` bytes; returns run minus what was produced (<= 0). */
  private decodeRun(run: number, aligned: boolean): number {
    const window = this.window;
    const windowSize = this.windowSize;
    const main = this.maintree;
    let windowPosn = this.windowPosn;
    let r0 = this.r0;
    let r1 = this.r1;
    let r2 = this.r2;
    while (run > 0) {
      const mainElement = this.readSym(main);
      if (mainElement < NUM_CHARS) {
        window[windowPosn++] = mainElement;
        run--;
        continue;
      }
      const m = mainElement - NUM_CHARS;
      let matchLength = m & NUM_PRIMARY_LENGTHS;
      if (matchLength === NUM_PRIMARY_LENGTHS) {
        if (this.lengthEmpty) throw decrunch('LENGTH symbol needed but the tree is empty');
        matchLength += this.readSym(this.lengthtree);
      }
      matchLength += MIN_MATCH;

      let matchOffset = m >>> 3;
      switch (matchOffset) {
        case 0:
          matchOffset = r0;
          break;
        case 1:
          matchOffset = r1;
          r1 = r0;
          r0 = matchOffset;
          break;
        case 2:
          matchOffset = r2;
          r2 = r0;
          r0 = matchOffset;
          break;
        case 3:
          matchOffset = 1;
          r2 = r1;
          r1 = r0;
          r0 = matchOffset;
          break;
        default: {
          const slot = matchOffset;
          let extra = slot >= 36 ? 17 : EXTRA_BITS[slot]!;
          if (!aligned) {
            matchOffset = POSITION_BASE[slot]! - 2 + this.readBits(extra);
          } else {
            matchOffset = POSITION_BASE[slot]! - 2;
            if (extra > 3) {
              extra -= 3;
              matchOffset += this.readBits(extra) << 3;
              matchOffset += this.readSym(this.alignedtree);
            } else if (extra === 3) {
              matchOffset += this.readSym(this.alignedtree);
            } else if (extra > 0) {
              matchOffset += this.readBits(extra);
            } else {
              matchOffset = 1; // not defined by the LZX specification; libmspack's choice
            }
          }
          r2 = r1;
          r1 = r0;
          r0 = matchOffset;
        }
      }

      if (windowPosn + matchLength > windowSize) throw decrunch('match runs over the window wrap');

      if (matchOffset > windowPosn) {
        // The match reaches back across the window wrap: only valid once the window has been filled.
        if (matchOffset > this.offset) throw decrunch('match offset beyond the start of the stream');
        let j = matchOffset - windowPosn;
        if (j > windowSize) throw decrunch('match offset beyond the window');
        let src = windowSize - j;
        let i = matchLength;
        if (j < i) {
          i -= j;
          while (j-- > 0) window[windowPosn++] = window[src++]!;
          src = 0;
        }
        while (i-- > 0) window[windowPosn++] = window[src++]!;
      } else {
        let src = windowPosn - matchOffset;
        if (matchLength <= matchOffset) {
          window.copyWithin(windowPosn, src, src + matchLength);
          windowPosn += matchLength;
        } else {
          for (let i = matchLength; i > 0; i--) window[windowPosn++] = window[src++]!;
        }
      }
      run -= matchLength;
    }
    this.windowPosn = windowPosn;
    this.r0 = r0;
    this.r1 = r1;
    this.r2 = r2;
    return run;
  }

  /** Intel E8 call translation of one output frame: absolute CALL targets back to relative ones. */
  private translateE8(data: Uint8Array, frameSize: number): void {
    const end = frameSize - 10;
    let curpos = this.offset | 0;
    const filesize = this.intelFileSize;
    let p = 0;
    while (p < end) {
      if (data[p++] !== 0xe8) {
        curpos++;
        continue;
      }
      const absOff = data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24);
      if (absOff >= -curpos && absOff < filesize) {
        const relOff = absOff >= 0 ? absOff - curpos : absOff + filesize;
        data[p] = relOff & 0xff;
        data[p + 1] = (relOff >>> 8) & 0xff;
        data[p + 2] = (relOff >>> 16) & 0xff;
        data[p + 3] = (relOff >>> 24) & 0xff;
      }
      p += 4;
      curpos += 5;
    }
  }
}
