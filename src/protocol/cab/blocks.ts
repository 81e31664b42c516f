import { AppError } from '../../errors.js';
import { cabChecksum } from './checksum.js';
import { CAB_BLOCK_MAX, CAB_INPUT_MAX, CFDATA_SIZE } from './format.js';

/** Where one folder's CFDATA blocks live in one cabinet of a set. */
export interface FolderSegment {
  readonly buf: Uint8Array;
  readonly dataOffset: number;
  readonly numBlocks: number;
  readonly dataReserveSize: number;
}

interface BlockPiece {
  readonly buf: Uint8Array;
  readonly headerPos: number;
  readonly payloadStart: number;
  readonly cbData: number;
}

/** One logical CFDATA block. A block split across cabinets of a set has one piece per cabinet. */
export interface CabBlock {
  readonly pieces: readonly BlockPiece[];
  /** Uncompressed size from the last piece (earlier pieces say 0). */
  readonly uncompressedSize: number;
  readonly compressedSize: number;
}

function u16(buf: Uint8Array, p: number): number {
  return buf[p]! | (buf[p + 1]! << 8);
}

/**
 * Walks the CFDATA headers of a folder (all its segments, in set order) without touching payloads, joining
 * split blocks: a block whose cbUncomp is 0 continues as the first block of the next segment (libmspack's
 * cabd_sys_read_block). Checks the per-block bounds libmspack checks: input <= 38,912 bytes (split pieces
 * joined), output <= 32,768 bytes.
 */
export function walkFolderBlocks(segments: readonly FolderSegment[]): CabBlock[] {
  const blocks: CabBlock[] = [];
  let pending: BlockPiece[] = [];
  let pendingSize = 0;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    let pos = seg.dataOffset;
    for (let b = 0; b < seg.numBlocks; b++) {
      const hdrLen = CFDATA_SIZE + seg.dataReserveSize;
      if (pos < 0 || pos + hdrLen > seg.buf.length) {
        throw new AppError('PB_ERR_CAB_MALFORMED', `CFDATA header ${b} truncated`, {
          detail: { offset: pos },
        });
      }
      const cbData = u16(seg.buf, pos + 4);
      const cbUncomp = u16(seg.buf, pos + 6);
      const payloadStart = pos + hdrLen;
      if (payloadStart + cbData > seg.buf.length) {
        throw new AppError('PB_ERR_CAB_MALFORMED', `CFDATA block ${b} truncated`, {
          detail: { offset: pos },
        });
      }
      pendingSize += cbData;
      if (pendingSize > CAB_INPUT_MAX) {
        throw new AppError('PB_ERR_CAB_MALFORMED', `CFDATA block ${b} has ${pendingSize} input bytes`);
      }
      if (cbUncomp > CAB_BLOCK_MAX) {
        throw new AppError('PB_ERR_CAB_MALFORMED', `CFDATA block ${b} expands to ${cbUncomp} bytes`);
      }
      pending.push({ buf: seg.buf, headerPos: pos, payloadStart, cbData });
      pos = payloadStart + cbData;
      if (cbUncomp === 0) {
        // Only the last block of a segment may be split into the next cabinet of the set.
        if (b !== seg.numBlocks - 1 || s === segments.length - 1) {
          throw new AppError(
            'PB_ERR_CAB_MALFORMED',
            s === segments.length - 1 && b === seg.numBlocks - 1
              ? 'folder continues in a cabinet that was not supplied (cabinet set is incomplete)'
              : `CFDATA block ${b} is empty`,
          );
        }
        continue;
      }
      blocks.push({ pieces: pending, uncompressedSize: cbUncomp, compressedSize: pendingSize });
      pending = [];
      pendingSize = 0;
    }
  }
  return blocks;
}

/** The payload of a block, each piece's checksum verified first (0 = not set). */
export function blockPayload(block: CabBlock): Uint8Array {
  for (const piece of block.pieces) {
    const b = piece.buf;
    const h = piece.headerPos;
    const stored = (b[h]! | (b[h + 1]! << 8) | (b[h + 2]! << 16) | (b[h + 3]! << 24)) >>> 0;
    if (stored !== 0) {
      const inner = cabChecksum(b, piece.payloadStart, piece.payloadStart + piece.cbData, 0);
      const sum = cabChecksum(b, h + 4, h + 8, inner);
      if (sum !== stored) {
        throw new AppError('PB_ERR_CAB_CHECKSUM', 'CFDATA checksum mismatch', {
          detail: { offset: h, stored, computed: sum },
        });
      }
    }
  }
  if (block.pieces.length === 1) {
    const p = block.pieces[0]!;
    return p.buf.subarray(p.payloadStart, p.payloadStart + p.cbData);
  }
  const out = new Uint8Array(block.compressedSize);
  let o = 0;
  for (const p of block.pieces) {
    out.set(p.buf.subarray(p.payloadStart, p.payloadStart + p.cbData), o);
    o += p.cbData;
  }
  return out;
}
