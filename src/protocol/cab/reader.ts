import { AppError } from '../../errors.js';
import { blockPayload, type CabBlock, type FolderSegment, walkFolderBlocks } from './blocks.js';
import { type CabFileEntry, type CabinetDirectory, readCabinetDirectory } from './directory.js';
import {
  CAB_BLOCK_MAX,
  CAB_LENGTH_MAX,
  COMP_LZX,
  COMP_MSZIP,
  COMP_NONE,
  COMP_QUANTUM,
  COMP_TYPE_MASK,
  FOLDER_CONTINUED_FROM_PREV,
  FOLDER_CONTINUED_PREV_AND_NEXT,
  FOLDER_CONTINUED_TO_NEXT,
} from './format.js';
import { type CabReadOptions, resolveCabReadOptions } from './limits.js';
import { LzxDecoder } from './lzx.js';
import { MszipDecoder } from './mszip.js';
import { findCabinets } from './search.js';

/** One extracted member. `name` is data for display and matching, never a path to write to. */
export interface CabMember {
  readonly name: string;
  /** The name exactly as stored (UTF-8 if attribute 0x80 is set, otherwise an OEM code page). */
  readonly nameBytes: Uint8Array;
  readonly size: number;
  readonly data: Buffer;
  readonly attributes: number;
  /** The stored DOS date/time read as UTC wall-clock time (the cabinet has no zone); null if invalid. */
  readonly modified: Date | null;
}

export interface Cabinet {
  readonly members: readonly CabMember[];
  /** Directories of the cabinets read (one per part, or per embedded cabinet with `search`). */
  readonly cabinets: readonly CabinetDirectory[];
}

interface SetFolder {
  readonly compType: number;
  readonly segments: FolderSegment[];
}

interface SetFile {
  readonly entry: CabFileEntry;
  readonly folder: number;
}

function malformed(message: string, detail?: Record<string, unknown>): AppError {
  return new AppError('PB_ERR_CAB_MALFORMED', message, detail ? { detail } : undefined);
}

function isContinuedFromPrev(idx: number): boolean {
  return idx === FOLDER_CONTINUED_FROM_PREV || idx === FOLDER_CONTINUED_PREV_AND_NEXT;
}
function isContinuedToNext(idx: number): boolean {
  return idx === FOLDER_CONTINUED_TO_NEXT || idx === FOLDER_CONTINUED_PREV_AND_NEXT;
}

/**
 * Joins the directories of an ordered cabinet set into one list of folders and files, the way libmspack's
 * cabd_merge does: the last folder of a part and the first folder of the next are one folder when either
 * side marks files as continued (both sides must, with the same compression, and at least one continued
 * file must appear on both sides). Continued copies of files in later parts are dropped (the first listing
 * wins); a file continued from a cabinet that was not supplied makes the set incomplete.
 */
function assembleSet(parts: readonly { buf: Uint8Array; dir: CabinetDirectory }[]): {
  folders: SetFolder[];
  files: SetFile[];
} {
  const folders: SetFolder[] = [];
  const files: SetFile[] = [];
  for (let p = 0; p < parts.length; p++) {
    const { buf, dir } = parts[p]!;
    const base = folders.length;
    let mergeFirst = false;
    const rightContinued = dir.files.filter((f) => isContinuedFromPrev(f.folderIndex));
    if (p === 0) {
      if (rightContinued.length > 0) {
        throw malformed(
          `file "${rightContinued[0]!.name}" continues from a previous cabinet that was not supplied`,
        );
      }
    } else {
      const prevDir = parts[p - 1]!.dir;
      const leftContinued = prevDir.files.filter((f) => isContinuedToNext(f.folderIndex));
      if (leftContinued.length > 0 || rightContinued.length > 0) {
        const left = folders[folders.length - 1]!;
        const right = dir.folders[0]!;
        if (leftContinued.length === 0 || rightContinued.length === 0) {
          throw malformed(`cabinet ${p} and its predecessor disagree on a continued folder`);
        }
        if (left.compType !== right.compType) {
          throw malformed(`continued folder changes compression between cabinets ${p - 1} and ${p}`);
        }
        const leftFiles = files.filter((f) => f.folder === folders.length - 1);
        if (
          !rightContinued.some((r) =>
            leftFiles.some((l) => l.entry.folderOffset === r.folderOffset && l.entry.size === r.size),
          )
        ) {
          throw malformed(`continued folder of cabinet ${p} lists none of the files of cabinet ${p - 1}`);
        }
        left.segments.push({
          buf,
          dataOffset: right.dataOffset,
          numBlocks: right.numBlocks,
          dataReserveSize: dir.dataReserveSize,
        });
        mergeFirst = true;
      }
    }
    // Local folder i maps to global base + i, or base + i - 1 when the first one was merged.
    dir.folders.forEach((f, i) => {
      if (i === 0 && mergeFirst) return;
      folders.push({
        compType: f.compType,
        segments: [
          { buf, dataOffset: f.dataOffset, numBlocks: f.numBlocks, dataReserveSize: dir.dataReserveSize },
        ],
      });
    });
    const shift = mergeFirst ? 1 : 0;
    const lastLocal = dir.folders.length - 1;
    for (const f of dir.files) {
      if (isContinuedFromPrev(f.folderIndex)) continue; // listed (and extracted) from the earlier cabinet
      const local = f.folderIndex === FOLDER_CONTINUED_TO_NEXT ? lastLocal : f.folderIndex;
      const global = local === 0 && mergeFirst ? base - 1 : base + local - shift;
      files.push({ entry: f, folder: global });
    }
  }
  return { folders, files };
}

function dosDateTime(date: number, time: number): Date | null {
  const day = date & 0x1f;
  const month = (date >>> 5) & 0x0f;
  const year = (date >>> 9) + 1980;
  const hour = time >>> 11;
  const minute = (time >>> 5) & 0x3f;
  const second = (time << 1) & 0x3e;
  if (day < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** Refuses a folder's compression before any block is read (as libmspack does when it opens the folder). */
function checkCompression(compType: number): void {
  const type = compType & COMP_TYPE_MASK;
  if (type === COMP_QUANTUM) {
    throw new AppError('PB_ERR_CAB_UNSUPPORTED', 'Quantum-compressed folders are not supported');
  }
  if (type !== COMP_NONE && type !== COMP_MSZIP && type !== COMP_LZX) {
    throw malformed(`unknown compression type 0x${compType.toString(16)}`);
  }
  const windowBits = (compType >>> 8) & 0x1f;
  if (type === COMP_LZX && (windowBits < 15 || windowBits > 21)) {
    throw new AppError('PB_ERR_CAB_UNSUPPORTED', `LZX window 2^${windowBits} (CAB allows 2^15..2^21)`);
  }
}

/**
 * Decodes the first `needed` bytes of a folder. Stricter than cabextract in three documented ways: every
 * CFDATA header of the folder must be present (LZX needs the total size for its last frame), a stored block
 * must hold exactly cbUncomp bytes, and an MSZIP block must inflate completely to exactly cbUncomp bytes.
 */
function decodeFolder(folder: SetFolder, needed: number): Buffer {
  checkCompression(folder.compType);
  if (needed === 0) return Buffer.alloc(0);
  const blocks: CabBlock[] = walkFolderBlocks(folder.segments);
  let total = 0;
  for (const b of blocks) total += b.uncompressedSize;
  if (needed > total) {
    throw malformed(`files need ${needed} bytes of a folder that holds ${total}`);
  }
  const chunks: Uint8Array[] = [];
  let produced = 0;
  const type = folder.compType & COMP_TYPE_MASK;
  if (type === COMP_NONE) {
    for (let i = 0; produced < needed; i++) {
      const b = blocks[i]!;
      const payload = blockPayload(b);
      if (payload.length !== b.uncompressedSize) {
        throw malformed(`stored block ${i} holds ${payload.length} bytes but declares ${b.uncompressedSize}`);
      }
      chunks.push(payload);
      produced += payload.length;
    }
  } else if (type === COMP_MSZIP) {
    const mszip = new MszipDecoder();
    for (let i = 0; produced < needed; i++) {
      const b = blocks[i]!;
      const out = mszip.decodeBlock(blockPayload(b), b.uncompressedSize);
      chunks.push(out);
      produced += out.length;
    }
  } else if (type === COMP_LZX) {
    let next = 0;
    const lzx = new LzxDecoder(
      (folder.compType >>> 8) & 0x1f,
      () => {
        const b = blocks[next];
        if (b === undefined) return null;
        next++;
        return blockPayload(b);
      },
      total,
    );
    lzx.decode(total, needed, (frame) => {
      chunks.push(frame);
      produced += frame.length;
    });
  } else {
    throw new AppError('PB_ERR_INTERNAL', 'compression type passed checkCompression but has no decoder');
  }
  const all = Buffer.concat(chunks, produced);
  return all.subarray(0, needed);
}

function extractSet(
  select: ((name: string, index: number) => boolean) | undefined,
  firstIndex: number,
  parts: readonly { buf: Uint8Array; dir: CabinetDirectory }[],
  maxOutputBytes: number,
): { members: CabMember[]; declared: number } {
  const assembled = assembleSet(parts);
  const folders = assembled.folders;
  const files = select
    ? assembled.files.filter((f, i) => select(f.entry.name, firstIndex + i))
    : assembled.files;
  const needed = new Array<number>(folders.length).fill(-1);
  let declared = 0;
  for (const { entry, folder } of files) {
    const end = entry.folderOffset + entry.size;
    if (entry.folderOffset > CAB_LENGTH_MAX || entry.size > CAB_LENGTH_MAX || end > CAB_LENGTH_MAX) {
      throw malformed(`file "${entry.name}" lies beyond 2 GiB in its folder`);
    }
    let numBlocks = 0;
    for (const s of folders[folder]!.segments) numBlocks += s.numBlocks;
    numBlocks -= folders[folder]!.segments.length - 1; // each join shares one split block
    if (end > numBlocks * CAB_BLOCK_MAX) {
      throw malformed(
        `file "${entry.name}" extends beyond its folder's ${numBlocks} blocks (cabinet set incomplete?)`,
      );
    }
    if (end > needed[folder]!) needed[folder] = end;
  }
  for (const n of needed) if (n > 0) declared += n;
  if (declared > maxOutputBytes) {
    throw new AppError(
      'PB_ERR_CAB_LIMIT',
      `cabinet declares ${declared} bytes of output (limit ${maxOutputBytes})`,
      {
        detail: { declared, limit: maxOutputBytes },
      },
    );
  }
  const outputs = folders.map((f, i) => (needed[i]! >= 0 ? decodeFolder(f, needed[i]!) : Buffer.alloc(0)));
  const members = files.map(({ entry, folder }) => ({
    name: entry.name,
    nameBytes: entry.nameBytes,
    size: entry.size,
    data: outputs[folder]!.subarray(entry.folderOffset, entry.folderOffset + entry.size),
    attributes: entry.attributes,
    modified: dosDateTime(entry.dosDate, entry.dosTime),
  }));
  return { members, declared };
}

/**
 * Reads a cabinet, or an ordered cabinet set (split cabinets: pass every part, first to last), and extracts
 * every member. Rule for partially readable input: the whole read fails with an AppError if any member
 * cannot be extracted (cabextract extracts the good members and exits non-zero). Output is capped by
 * `maxOutputBytes` (default 256 MiB) on the declared sizes, before anything is decompressed.
 */
export function readCabinet(input: Uint8Array | readonly Uint8Array[], opts?: CabReadOptions): Cabinet {
  const o = resolveCabReadOptions(opts);
  const members: CabMember[] = [];
  const cabinets: CabinetDirectory[] = [];
  if (input instanceof Uint8Array) {
    const dirs = o.search
      ? findCabinets(input, o.maxMembers)
      : [readCabinetDirectory(input, 0, o.maxMembers)];
    if (dirs.length === 0) throw malformed('no cabinet found');
    let budget = o.maxOutputBytes;
    let listed = 0;
    for (const dir of dirs) {
      const got = extractSet(o.select, listed, [{ buf: input, dir }], budget);
      listed += dir.files.length;
      budget -= got.declared;
      members.push(...got.members);
      cabinets.push(dir);
    }
  } else {
    if (input.length === 0) throw malformed('empty cabinet set');
    const parts = input.map((buf) => ({ buf, dir: readCabinetDirectory(buf, 0, o.maxMembers) }));
    members.push(...extractSet(o.select, 0, parts, o.maxOutputBytes).members);
    cabinets.push(...parts.map((p) => p.dir));
  }
  if (members.length > o.maxMembers) {
    throw new AppError('PB_ERR_CAB_LIMIT', `cabinet holds ${members.length} members (limit ${o.maxMembers})`);
  }
  return { members, cabinets };
}

export interface ExtractSingleOptions extends CabReadOptions {
  /** If set, the one member must have this name (WSUS blobs are named "blob"). */
  readonly expectedName?: string;
}

/** The sync path's call: a cabinet holding exactly one member (e.g. XmlUpdateBlobCompressed), its bytes. */
export function extractSingleMember(cab: Uint8Array, opts?: ExtractSingleOptions): Buffer {
  const { members } = readCabinet(cab, { ...opts, search: false });
  if (members.length !== 1) {
    throw malformed(`expected exactly one member, found ${members.length}`);
  }
  const m = members[0]!;
  if (opts?.expectedName !== undefined && m.name !== opts.expectedName) {
    throw malformed(`expected member "${opts.expectedName}", found "${m.name}"`);
  }
  return m.data;
}
