/**
 * The bundle's byte stream on disk: entries written back to back and cut in chunks of a fixed size, each
 * written under a temporary name, hashed and renamed when full (so a chunk file present under its name is
 * complete); ranges read back across chunk boundaries.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkFolder, chunkName } from './bundle-manifest.js';

export interface ChunkRecord {
  readonly size: number;
  readonly sha256: string;
}

/** One entry of the stream: its size and its bytes from an offset within it. */
export interface StreamPart {
  readonly size: number;
  read(from: number): AsyncIterable<Uint8Array>;
}

/**
 * Writes the stream of `parts` into chunks, starting after the `done` chunks (a resumed export); calls
 * `onChunk` with the records so far after each chunk is in place. Returns every chunk's record.
 */
export async function writeChunks(
  dir: string,
  parts: readonly StreamPart[],
  chunkSize: number,
  done: readonly ChunkRecord[],
  onChunk: (records: readonly ChunkRecord[]) => Promise<void>,
): Promise<ChunkRecord[]> {
  const records = [...done];
  const start = records.length * chunkSize;
  let file: Awaited<ReturnType<typeof open>> | undefined;
  let hash = createHash('sha256');
  let filled = 0;
  const tmp = () => join(dir, chunkFolder, `${chunkName(records.length)}.part`);
  const close = async () => {
    await file!.sync();
    await file!.close();
    file = undefined;
    await rename(tmp(), join(dir, chunkFolder, chunkName(records.length)));
    records.push({ size: filled, sha256: hash.digest('hex') });
    hash = createHash('sha256');
    filled = 0;
    await onChunk(records);
  };
  let offset = 0;
  for (const part of parts) {
    const end = offset + part.size;
    if (end > start && part.size > 0)
      for await (const piece of part.read(Math.max(0, start - offset))) {
        let buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        while (buf.length > 0) {
          file ??= await open(tmp(), 'w');
          const n = Math.min(buf.length, chunkSize - filled);
          const slice = buf.subarray(0, n);
          await file.write(slice);
          hash.update(slice);
          filled += n;
          buf = buf.subarray(n);
          if (filled === chunkSize) await close();
        }
      }
    offset = end;
  }
  if (file !== undefined) await close();
  return records;
}

/** The bytes [offset, offset + size) of the stream, read from the chunk files. */
export async function* readRange(
  dir: string,
  chunkSize: number,
  offset: number,
  size: number,
): AsyncGenerator<Buffer> {
  let at = offset;
  const end = offset + size;
  while (at < end) {
    const index = Math.floor(at / chunkSize);
    const from = at - index * chunkSize;
    const upTo = Math.min(chunkSize, end - index * chunkSize);
    for await (const piece of createReadStream(join(dir, chunkFolder, chunkName(index)), {
      start: from,
      end: upTo - 1,
      highWaterMark: 1024 * 1024,
    }))
      yield piece as Buffer;
    at = index * chunkSize + upTo;
  }
}

/** The SHA-256 and size of one chunk file as it is now, or undefined when it is missing. */
export async function hashChunk(
  dir: string,
  index: number,
): Promise<{ size: number; sha256: string; mtimeMs: number } | undefined> {
  const path = join(dir, chunkFolder, chunkName(index));
  const s = await stat(path).catch(() => undefined);
  if (s === undefined || !s.isFile()) return undefined;
  const hash = createHash('sha256');
  let size = 0;
  for await (const piece of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(piece as Buffer);
    size += (piece as Buffer).length;
  }
  return { size, sha256: hash.digest('hex'), mtimeMs: s.mtimeMs };
}
