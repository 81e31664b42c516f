import { AppError } from '../../errors.js';
import { extractSingleMember, writeCabinet } from '../cab/index.js';
import { defaultServerSyncLimits, type ServerSyncLimits } from './limits.js';

/**
 * How a `ServerSyncUpdateData` carries its document (docs/protocol/server-sync.md §2.3): `XmlUpdateBlob` is escaped XML text in
 * the SOAP body; `XmlUpdateBlobCompressed` is a base64 Microsoft Cabinet (REAL: LZX, window 2^21) with one
 * member `blob` holding the document as UTF-16LE without BOM or XML declaration.
 */
export type UpdateBlob =
  | { readonly kind: 'plain'; readonly text: string }
  | { readonly kind: 'compressed'; readonly base64: string }
  | { readonly kind: 'none' };

/** SPEC: documents above 5,120 UTF-16 bytes travel compressed (consistent with every REAL blob). */
export const plainBlobMaxUtf16Bytes = 5120;

/** Why a blob could not become a document; the sync engine quarantines with these reasons. */
export type UpdateBlobReason =
  'missing-blob' | 'blob-too-large' | 'bad-base64' | 'bad-cabinet' | 'bad-encoding';

function blobError(reason: UpdateBlobReason, message: string, cause?: unknown): AppError {
  return new AppError('PB_ERR_UPSTREAM_PROTOCOL', `update blob: ${message}`, { cause, detail: { reason } });
}

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The document bytes of a blob: UTF-8 for a plain blob, UTF-16LE (as stored in the cabinet) for a compressed
 * one; `parseUpdateDocument` accepts both. Bounded by `limits.maxCabinetBytes` and `limits.maxDocumentBytes`
 * (the cabinet reader stops decompressing at the cap: no decompression bomb).
 */
export function decodeUpdateBlob(
  blob: UpdateBlob,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): Buffer {
  if (blob.kind === 'none')
    throw blobError('missing-blob', 'neither XmlUpdateBlob nor XmlUpdateBlobCompressed');
  if (blob.kind === 'plain') {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: refuse early without encoding a huge string.
    if (
      blob.text.length * 3 > limits.maxDocumentBytes &&
      Buffer.byteLength(blob.text) > limits.maxDocumentBytes
    )
      throw blobError('blob-too-large', `plain document larger than ${limits.maxDocumentBytes} bytes`);
    return Buffer.from(blob.text, 'utf8');
  }
  const t = blob.base64.replace(/[ \t\r\n]+/g, '');
  if (t.length > Math.ceil(limits.maxCabinetBytes / 3) * 4)
    throw blobError('blob-too-large', `cabinet larger than ${limits.maxCabinetBytes} bytes`);
  if (t.length % 4 !== 0 || !base64Pattern.test(t))
    throw blobError('bad-base64', 'XmlUpdateBlobCompressed is not base64');
  const cab = Buffer.from(t, 'base64');
  let data: Buffer;
  try {
    data = extractSingleMember(cab, {
      expectedName: 'blob',
      maxOutputBytes: limits.maxDocumentBytes,
      maxMembers: 1,
    });
  } catch (e) {
    const code = e instanceof AppError ? e.code : undefined;
    if (code === 'PB_ERR_CAB_LIMIT')
      throw blobError('blob-too-large', `cabinet expands beyond ${limits.maxDocumentBytes} bytes`, e);
    throw blobError('bad-cabinet', e instanceof Error ? e.message : 'unreadable cabinet', e);
  }
  if (data.length % 2 !== 0) throw blobError('bad-encoding', 'cabinet member is not UTF-16 (odd length)');
  return data;
}

/**
 * The document text of a blob, for callers that parse it (the sync importer): the same checks and reasons as
 * decodeUpdateBlob, without encoding a plain blob's text to UTF-8 bytes only to decode them again. The byte
 * limit is on the document's bytes (UTF-8 for plain, UTF-16LE for compressed), as in decodeUpdateBlob.
 */
export function decodeUpdateBlobText(
  blob: UpdateBlob,
  limits: ServerSyncLimits = defaultServerSyncLimits,
): string {
  if (blob.kind !== 'plain') return decodeUpdateBlob(blob, limits).toString('utf16le');
  if (
    blob.text.length * 3 > limits.maxDocumentBytes &&
    Buffer.byteLength(blob.text) > limits.maxDocumentBytes
  )
    throw blobError('blob-too-large', `plain document larger than ${limits.maxDocumentBytes} bytes`);
  return blob.text;
}

/**
 * Upstream role: the blob for a document, plain up to 5,120 UTF-16 bytes, else an MSZIP cabinet (we have no
 * LZX encoder; MSZIP is what makecab writes and every FDI reader accepts — UNVERIFIED against a Windows DSS).
 */
export function encodeUpdateBlob(documentText: string, options: { level?: number } = {}): UpdateBlob {
  if (documentText.length * 2 <= plainBlobMaxUtf16Bytes) return { kind: 'plain', text: documentText };
  const cab = writeCabinet([{ name: 'blob', data: Buffer.from(documentText, 'utf16le') }], {
    compression: 'mszip',
    ...(options.level === undefined ? {} : { level: options.level }),
  });
  return { kind: 'compressed', base64: cab.toString('base64') };
}
