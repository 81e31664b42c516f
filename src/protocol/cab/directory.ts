import { AppError } from '../../errors.js';
import {
  ATTRIB_NAME_IS_UTF8,
  CAB_SIGNATURE,
  CAB_STRING_MAX,
  CFFILE_SIZE,
  CFFOLDER_SIZE,
  CFHEADER_EXT_SIZE,
  CFHEADER_SIZE,
  FLAG_NEXT_CABINET,
  FLAG_PREV_CABINET,
  FLAG_RESERVE_PRESENT,
} from './format.js';

/** One CFFOLDER entry. `dataOffset` is absolute within the buffer the cabinet was read from. */
export interface CabFolderEntry {
  readonly compType: number;
  readonly numBlocks: number;
  readonly dataOffset: number;
  readonly reserve: Uint8Array;
}

/** One CFFILE entry, as stored. `folderIndex` keeps the raw value (0xFFFD-0xFFFF mean "continued"). */
export interface CabFileEntry {
  readonly size: number;
  readonly folderOffset: number;
  readonly folderIndex: number;
  readonly dosDate: number;
  readonly dosTime: number;
  readonly attributes: number;
  readonly nameBytes: Uint8Array;
  readonly name: string;
}

export interface CabSetLink {
  readonly cabinet: string;
  readonly disk: string;
}

/** The directory (CFHEADER + CFFOLDERs + CFFILEs) of one cabinet. */
export interface CabinetDirectory {
  readonly offset: number;
  readonly declaredLength: number;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly flags: number;
  readonly setId: number;
  readonly cabinetIndex: number;
  readonly headerReserve: Uint8Array;
  readonly dataReserveSize: number;
  readonly prev: CabSetLink | undefined;
  readonly next: CabSetLink | undefined;
  readonly folders: readonly CabFolderEntry[];
  readonly files: readonly CabFileEntry[];
}

function malformed(message: string, offset: number): AppError {
  return new AppError('PB_ERR_CAB_MALFORMED', message, { detail: { offset } });
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** Member names are data, never paths: decode them for display and comparison only. */
export function decodeCabName(bytes: Uint8Array, attributes: number): string {
  return (attributes & ATTRIB_NAME_IS_UTF8) !== 0 ? utf8.decode(bytes) : latin1.decode(bytes);
}

/**
 * Reads a NUL-terminated string the way libmspack does: the terminator must be within the next 256 bytes
 * (or before the end of input), and only the "info" strings may be empty.
 */
function readString(
  buf: Uint8Array,
  pos: number,
  permitEmpty: boolean,
  what: string,
): { bytes: Uint8Array; end: number } {
  if (pos >= buf.length) throw malformed(`${what}: truncated`, pos);
  const limit = Math.min(buf.length, pos + CAB_STRING_MAX + 1);
  let i = pos;
  while (i < limit && buf[i] !== 0) i++;
  if (i === limit) throw malformed(`${what}: no terminator within ${CAB_STRING_MAX} bytes`, pos);
  if (i === pos && !permitEmpty) throw malformed(`${what}: empty`, pos);
  return { bytes: buf.subarray(pos, i), end: i + 1 };
}

function u16(buf: Uint8Array, p: number): number {
  return buf[p]! | (buf[p + 1]! << 8);
}
function u32(buf: Uint8Array, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

function need(buf: Uint8Array, pos: number, len: number, what: string): void {
  if (pos < 0 || pos + len > buf.length) throw malformed(`${what}: truncated`, pos);
}

/**
 * Parses the cabinet directory at `offset`. Follows libmspack's cabd_read_headers (the cabextract oracle):
 * at least one folder and one file, strings bounded, every file must name an existing folder. The version
 * (1.3 in every real cabinet) is reported, not enforced: libmspack only warns about others. The CFFILE entries are taken to
 * follow the CFFOLDER entries directly (coffFiles is ignored, like libmspack).
 */
export function readCabinetDirectory(buf: Uint8Array, offset = 0, maxMembers = 65535): CabinetDirectory {
  need(buf, offset, CFHEADER_SIZE, 'CFHEADER');
  if (u32(buf, offset) !== CAB_SIGNATURE) throw malformed('not a cabinet (no MSCF signature)', offset);
  const declaredLength = u32(buf, offset + 8);
  const versionMinor = buf[offset + 24]!;
  const versionMajor = buf[offset + 25]!;
  const numFolders = u16(buf, offset + 26);
  const numFiles = u16(buf, offset + 28);
  const flags = u16(buf, offset + 30);
  const setId = u16(buf, offset + 32);
  const cabinetIndex = u16(buf, offset + 34);
  if (numFolders === 0) throw malformed('no folders in cabinet', offset);
  if (numFiles === 0) throw malformed('no files in cabinet', offset);
  if (numFiles > maxMembers) {
    throw new AppError('PB_ERR_CAB_LIMIT', `cabinet lists ${numFiles} files (limit ${maxMembers})`);
  }

  let pos = offset + CFHEADER_SIZE;
  let headerReserve: Uint8Array = new Uint8Array(0);
  let folderReserveSize = 0;
  let dataReserveSize = 0;
  if ((flags & FLAG_RESERVE_PRESENT) !== 0) {
    need(buf, pos, CFHEADER_EXT_SIZE, 'CFHEADER reserve sizes');
    const headerReserveSize = u16(buf, pos);
    folderReserveSize = buf[pos + 2]!;
    dataReserveSize = buf[pos + 3]!;
    pos += CFHEADER_EXT_SIZE;
    need(buf, pos, headerReserveSize, 'CFHEADER reserve');
    headerReserve = buf.subarray(pos, pos + headerReserveSize);
    pos += headerReserveSize;
  }

  const readLink = (what: string): CabSetLink => {
    const cab = readString(buf, pos, false, `${what} cabinet name`);
    pos = cab.end;
    const disk = readString(buf, pos, true, `${what} disk name`);
    pos = disk.end;
    return { cabinet: latin1.decode(cab.bytes), disk: latin1.decode(disk.bytes) };
  };
  const prev = (flags & FLAG_PREV_CABINET) !== 0 ? readLink('previous') : undefined;
  const next = (flags & FLAG_NEXT_CABINET) !== 0 ? readLink('next') : undefined;

  const folders: CabFolderEntry[] = [];
  for (let i = 0; i < numFolders; i++) {
    need(buf, pos, CFFOLDER_SIZE + folderReserveSize, 'CFFOLDER');
    folders.push({
      dataOffset: offset + u32(buf, pos),
      numBlocks: u16(buf, pos + 4),
      compType: u16(buf, pos + 6),
      reserve: buf.subarray(pos + CFFOLDER_SIZE, pos + CFFOLDER_SIZE + folderReserveSize),
    });
    pos += CFFOLDER_SIZE + folderReserveSize;
  }

  // Files are read right after the folders, as libmspack (the cabextract oracle) does; coffFiles is only used
  // by the embedded-cabinet search. A coffFiles pointing elsewhere would show a different ("hidden") list.
  const files: CabFileEntry[] = [];
  for (let i = 0; i < numFiles; i++) {
    need(buf, pos, CFFILE_SIZE, 'CFFILE');
    const folderIndex = u16(buf, pos + 8);
    const attributes = u16(buf, pos + 14);
    const name = readString(buf, pos + CFFILE_SIZE, false, 'file name');
    if (folderIndex < 0xfffd && folderIndex >= numFolders) {
      throw malformed(`file ${i} names folder ${folderIndex} of ${numFolders}`, pos);
    }
    files.push({
      size: u32(buf, pos),
      folderOffset: u32(buf, pos + 4),
      folderIndex,
      dosDate: u16(buf, pos + 10),
      dosTime: u16(buf, pos + 12),
      attributes,
      nameBytes: name.bytes,
      name: decodeCabName(name.bytes, attributes),
    });
    pos = name.end;
  }

  return {
    offset,
    declaredLength,
    versionMajor,
    versionMinor,
    flags,
    setId,
    cabinetIndex,
    headerReserve,
    dataReserveSize,
    prev,
    next,
    folders,
    files,
  };
}
