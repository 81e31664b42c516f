import { deflateRawSync } from 'node:zlib';
import { AppError } from '../../errors.js';
import { cfdataChecksum } from './checksum.js';
import {
  ATTRIB_NAME_IS_UTF8,
  CAB_BLOCK_MAX,
  CAB_INPUT_MAX,
  CAB_LENGTH_MAX,
  CAB_SIGNATURE,
  CAB_STRING_MAX,
  CFDATA_SIZE,
  CFFILE_SIZE,
  CFFOLDER_SIZE,
  CFHEADER_SIZE,
  COMP_MSZIP,
  COMP_NONE,
} from './format.js';

export interface CabWriteMember {
  /** Stored as given (ASCII, or UTF-8 with attribute 0x80 set); 1-255 bytes, no NUL. */
  readonly name: string;
  readonly data: Uint8Array;
  /** Stored as a DOS date/time from the UTC fields; default 1980-01-01 00:00:00 so output is reproducible. */
  readonly modified?: Date;
  /** FAT attributes (default 0x20, "archive"); the UTF-8 bit is managed by the writer. */
  readonly attributes?: number;
}

export interface CabWriteOptions {
  /** 'mszip' (default; what makecab writes, readable by every FDI-based reader) or 'none' (stored). */
  readonly compression?: 'mszip' | 'none';
  readonly setId?: number;
  /** zlib level for MSZIP (default 9: cabinets are written once, read many times). */
  readonly level?: number;
}

const HISTORY = 32768;

function dosDate(d: Date): number {
  const y = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return ((y - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
}
function dosTime(d: Date): number {
  return (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >>> 1);
}

/**
 * Writes a single-folder cabinet (stored or MSZIP) with real CFDATA checksums. MSZIP blocks are "CK" + a
 * complete raw deflate stream of at most 32 KiB of input, compressed with the previous 32 KiB as dictionary
 * (the MSZIP history every reader keeps), so Patchbay can serve XmlUpdateBlobCompressed as an upstream.
 */
export function writeCabinet(members: readonly CabWriteMember[], opts?: CabWriteOptions): Buffer {
  const compression = opts?.compression ?? 'mszip';
  if (members.length === 0 || members.length > 65535) {
    throw new AppError('PB_ERR_INVALID_PARAMETER', `a cabinet holds 1..65535 members, not ${members.length}`);
  }
  const names = members.map((m) => {
    const bytes = Buffer.from(m.name, 'utf8');
    if (bytes.length === 0 || bytes.length > CAB_STRING_MAX || bytes.includes(0)) {
      throw new AppError(
        'PB_ERR_INVALID_PARAMETER',
        `member name must be 1-${CAB_STRING_MAX} bytes without NUL`,
      );
    }
    return { bytes, utf8: bytes.some((b) => b >= 0x80) };
  });
  const total = members.reduce((n, m) => n + m.data.length, 0);
  if (total > CAB_LENGTH_MAX) throw new AppError('PB_ERR_INVALID_PARAMETER', 'cabinet folder exceeds 2 GiB');

  // The folder's uncompressed stream, cut into 32 KiB blocks.
  const folder = Buffer.concat(
    members.map((m) => m.data),
    total,
  );
  const blocks: Buffer[] = [];
  let history: Buffer | undefined;
  for (let off = 0; off < total; off += CAB_BLOCK_MAX) {
    const chunk = folder.subarray(off, Math.min(total, off + CAB_BLOCK_MAX));
    let payload: Buffer;
    if (compression === 'none') {
      payload = chunk;
    } else {
      const deflated = deflateRawSync(chunk, {
        level: opts?.level ?? 9,
        ...(history ? { dictionary: history } : {}),
      });
      payload = Buffer.concat([Buffer.from('CK', 'latin1'), deflated]);
      if (payload.length > CAB_INPUT_MAX) {
        throw new AppError('PB_ERR_INTERNAL', `MSZIP block grew to ${payload.length} bytes`);
      }
      history = folder.subarray(Math.max(0, off + chunk.length - HISTORY), off + chunk.length);
    }
    const hdr = Buffer.alloc(CFDATA_SIZE);
    hdr.writeUInt32LE(cfdataChecksum(payload, payload.length, chunk.length), 0);
    hdr.writeUInt16LE(payload.length, 4);
    hdr.writeUInt16LE(chunk.length, 6);
    blocks.push(hdr, payload);
  }

  const filesSize = names.reduce((n, nm) => n + CFFILE_SIZE + nm.bytes.length + 1, 0);
  const coffFiles = CFHEADER_SIZE + CFFOLDER_SIZE;
  const dataStart = coffFiles + filesSize;
  const head = Buffer.alloc(dataStart);
  head.writeUInt32LE(CAB_SIGNATURE, 0);
  const cabLength = dataStart + blocks.reduce((n, b) => n + b.length, 0);
  head.writeUInt32LE(cabLength, 8);
  head.writeUInt32LE(coffFiles, 16);
  head[24] = 3;
  head[25] = 1;
  head.writeUInt16LE(1, 26);
  head.writeUInt16LE(members.length, 28);
  head.writeUInt16LE(0, 30);
  head.writeUInt16LE((opts?.setId ?? 0) & 0xffff, 32);
  head.writeUInt16LE(0, 34);
  head.writeUInt32LE(dataStart, 36);
  head.writeUInt16LE(blocks.length / 2, 40);
  head.writeUInt16LE(compression === 'none' ? COMP_NONE : COMP_MSZIP, 42);
  let pos = coffFiles;
  let folderOffset = 0;
  members.forEach((m, i) => {
    const nm = names[i]!;
    const when = m.modified ?? new Date(Date.UTC(1980, 0, 1));
    head.writeUInt32LE(m.data.length, pos);
    head.writeUInt32LE(folderOffset, pos + 4);
    head.writeUInt16LE(0, pos + 8);
    head.writeUInt16LE(dosDate(when), pos + 10);
    head.writeUInt16LE(dosTime(when), pos + 12);
    const attrs = ((m.attributes ?? 0x20) & ~ATTRIB_NAME_IS_UTF8) | (nm.utf8 ? ATTRIB_NAME_IS_UTF8 : 0);
    head.writeUInt16LE(attrs & 0xffff, pos + 14);
    nm.bytes.copy(head, pos + CFFILE_SIZE);
    pos += CFFILE_SIZE + nm.bytes.length + 1;
    folderOffset += m.data.length;
  });
  return Buffer.concat([head, ...blocks], cabLength);
}
