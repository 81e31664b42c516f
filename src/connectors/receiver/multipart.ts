/**
 * A small, bounded multipart/form-data parser for the reference receiver (one upload part per request, so
 * the body is already in memory under fastify's body limit). Untrusted input: the boundary, the number of
 * fields, header sizes and field sizes are all limited, and names land in a null-prototype map.
 */
import { AppError } from '../../errors.js';

export interface MultipartField {
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

export const multipartLimits = {
  maxFields: 32,
  maxHeaderBytes: 8 * 1024,
  maxTextFieldBytes: 4 * 1024,
} as const;

function bad(message: string): AppError {
  return new AppError('PB_ERR_INVALID_PARAMETER', `multipart body: ${message}`);
}

/** The boundary of a `multipart/form-data; boundary=...` content type (RFC 2046: 1-70 characters). */
export function multipartBoundary(contentType: string | undefined): string {
  const m =
    /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;.*)?$/i.exec(
      contentType ?? '',
    );
  const b = m?.[1] ?? m?.[2];
  if (b === undefined) throw bad('missing or invalid boundary');
  return b;
}

function headerParam(header: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, 'i');
  const m = re.exec(header);
  if (m) return m[1]!.replace(/\\(.)/g, '$1');
  const plain = new RegExp(`;\\s*${name}=([^;\\s]+)`, 'i').exec(header);
  return plain?.[1];
}

export function parseMultipart(body: Buffer, boundary: string): MultipartField[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: MultipartField[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw bad('no boundary found');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') return fields; // closing delimiter
    if (body.subarray(pos, pos + 2).toString('latin1') !== '\r\n') throw bad('malformed delimiter line');
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0 || headerEnd - pos > multipartLimits.maxHeaderBytes)
      throw bad('part headers missing or too long');
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw bad('unterminated part');
    const data = body.subarray(headerEnd + 4, next);
    let disposition: string | undefined;
    let contentType: string | undefined;
    for (const h of headers) {
      const colon = h.indexOf(':');
      if (colon < 0) throw bad('malformed part header');
      const key = h.slice(0, colon).trim().toLowerCase();
      const value = h.slice(colon + 1).trim();
      if (key === 'content-disposition') disposition = value;
      else if (key === 'content-type') contentType = value;
    }
    if (disposition === undefined || !/^form-data\b/i.test(disposition))
      throw bad('part without form-data disposition');
    const name = headerParam(disposition, 'name');
    if (name === undefined || name === '' || name.length > 64) throw bad('part without a valid name');
    const filename = headerParam(disposition, 'filename');
    if (filename === undefined && data.length > multipartLimits.maxTextFieldBytes)
      throw bad(`field ${name} is too long`);
    fields.push({ name, filename, contentType, data });
    if (fields.length > multipartLimits.maxFields) throw bad('too many fields');
    pos = next + 2;
  }
}
