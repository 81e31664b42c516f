import { AppError } from '../../errors.js';

declare const sha1HexBrand: unique symbol;
/** A validated SHA-1 as 40 upper-case hex characters: the only thing a content path is ever built from. */
export type Sha1Hex = string & { readonly [sha1HexBrand]: 'Sha1Hex' };

/** What callers may pass to identify an object: the raw 20-byte digest or its hex spelling (any case). */
export type ContentKey = Sha1Hex | string | Uint8Array;

const hex40 = /^[0-9A-Fa-f]{40}$/;

/** Returns the upper-case hex SHA-1, or undefined when `value` is not exactly 40 hex characters. */
export function parseSha1Hex(value: string): Sha1Hex | undefined {
  return hex40.test(value) ? (value.toUpperCase() as Sha1Hex) : undefined;
}

/**
 * Validates a content key. Throws PB_ERR_INVALID_PARAMETER for anything that is not a SHA-1, so a
 * path can never be derived from an arbitrary string (traversal, NUL, separators).
 */
export function toSha1Hex(key: ContentKey): Sha1Hex {
  if (typeof key === 'string') {
    const parsed = parseSha1Hex(key);
    if (parsed === undefined) {
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'content key is not a 40-hex SHA-1', {
        detail: { parameter: 'sha1', length: key.length },
      });
    }
    return parsed;
  }
  if (key instanceof Uint8Array && key.length === 20) {
    return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex').toUpperCase() as Sha1Hex;
  }
  throw new AppError('PB_ERR_INVALID_PARAMETER', 'content key is not a 20-byte SHA-1', {
    detail: { parameter: 'sha1' },
  });
}

/** The store's fan-out folder: the last two hex characters (= the digest's last byte), as WSUS does. */
export function fanOutFolder(sha1: Sha1Hex): string {
  return sha1.slice(38);
}
