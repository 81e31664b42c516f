import { AppError } from '../../errors.js';
import { el, textEl } from '../xml/index.js';
import { fileLocationOrder, ordered } from './element-order.js';

/** Where the client downloads a file: its raw SHA-1 (20 bytes) and the URL it fetches verbatim. */
export interface FileLocation {
  readonly sha1: Buffer;
  /** REAL grammar: `http://<host>:8530/Content/<XX>/<SHA1HEX>.<ext>` (built by the caller). */
  readonly url: string;
}

export function encodeFileLocation(f: FileLocation): string {
  // A wrong-length digest is our bug; the client would reject the whole answer.
  if (f.sha1.length !== 20)
    throw new AppError('PB_ERR_INTERNAL', `FileDigest must be 20 bytes, got ${f.sha1.length}`);
  return el(
    'FileLocation',
    undefined,
    ordered(fileLocationOrder, {
      FileDigest: textEl('FileDigest', f.sha1.toString('base64')),
      Url: textEl('Url', f.url),
    }),
  );
}

/** `<FileLocations>` or nothing when there are none (REAL: category revisions' answer has no FileLocations). */
export function encodeFileLocations(list: readonly FileLocation[]): string | undefined {
  return list.length === 0 ? undefined : el('FileLocations', undefined, list.map(encodeFileLocation));
}
