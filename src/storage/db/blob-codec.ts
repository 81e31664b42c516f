import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { AppError } from '../../errors.js';
import type { BlobCodecName } from './database.js';

/** A blob as stored: codec + uncompressed size + bytes. */
export interface StoredBlob {
  readonly codec: BlobCodecName;
  readonly rawSize: number;
  readonly data: Buffer;
}

/** What repositories accept: raw text/bytes (stored as-is) or an already-encoded blob. */
export type BlobInput = string | Buffer | StoredBlob;

/** Below this size compression rarely pays for itself. */
const minCompressSize = 512;

/**
 * Compresses for storage at rest. gzip level 1 by default: cheap enough for the import hot path
 * (documents are XML and shrink ~5-10x); brotli for cold data where size matters more than CPU.
 */
export function encodeBlob(
  input: string | Buffer,
  codec: BlobCodecName = 'gzip',
  level?: number,
): StoredBlob {
  const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (codec === 'none' || raw.length < minCompressSize)
    return { codec: 'none', rawSize: raw.length, data: raw };
  if (codec === 'gzip')
    return { codec, rawSize: raw.length, data: compact(gzipSync(raw, { level: level ?? 1 })) };
  return {
    codec,
    rawSize: raw.length,
    data: compact(
      brotliCompressSync(raw, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: level ?? 4,
          [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
        },
      }),
    ),
  };
}

/**
 * zlib's sync output is a view on a 16 KiB chunk even for a 60-byte result; kept in caches or batches, those
 * chunks pinned ~35 KB per revision (measured). Copy small results into a buffer of their own size.
 */
function compact(buf: Buffer): Buffer {
  return buf.buffer.byteLength > buf.length * 2 ? Buffer.from(buf) : buf;
}

/** Decodes a stored blob; the stored raw size bounds the output so a corrupt row cannot balloon. */
export function decodeBlob(blob: StoredBlob): Buffer {
  if (blob.codec === 'none') return blob.data;
  const maxOutputLength = Math.max(1, blob.rawSize);
  try {
    const out =
      blob.codec === 'gzip'
        ? gunzipSync(blob.data, { maxOutputLength })
        : brotliDecompressSync(blob.data, { maxOutputLength });
    if (out.length !== blob.rawSize) throw new Error(`size ${out.length} != stored ${blob.rawSize}`);
    return out;
  } catch (e) {
    throw new AppError('PB_ERR_DECOMPRESS', `stored ${blob.codec} blob is corrupt: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

export function toStoredBlob(input: BlobInput): StoredBlob {
  if (typeof input === 'string') {
    const data = Buffer.from(input, 'utf8');
    return { codec: 'none', rawSize: data.length, data };
  }
  if (Buffer.isBuffer(input)) return { codec: 'none', rawSize: input.length, data: input };
  return input;
}

export function isStoredBlobCodec(v: string): v is BlobCodecName {
  return v === 'none' || v === 'gzip' || v === 'br';
}
