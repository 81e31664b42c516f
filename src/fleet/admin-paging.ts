import { AppError } from '../errors.js';

/** A page of a list: the items and the cursor of the next page (absent on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

export interface PageRequest {
  readonly limit?: number;
  readonly cursor?: string;
}

export const defaultPageLimit = 50;
export const maxPageLimit = 500;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return defaultPageLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageLimit)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `limit must be an integer from 1 to ${maxPageLimit}`, {
      detail: { parameter: 'limit' },
    });
  return limit;
}

/**
 * Cursors are opaque to clients: base64url of a small JSON array of the last row's key. Decoding is strict
 * (size, shape, element types) because the cursor comes back from the outside.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, types: readonly ('string' | 'number')[]) {
  if (cursor === undefined || cursor === '') return undefined;
  const bad = () =>
    new AppError('PB_ERR_INVALID_PARAMETER', 'cursor is not one this server handed out', {
      detail: { parameter: 'cursor' },
    });
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== types.length) throw bad();
  types.forEach((t, i) => {
    if (typeof v[i] !== t) throw bad();
  });
  return v as (string | number)[];
}

/** Builds a page from rows fetched with limit + 1 (the extra row only says "there is more"). */
export function toPage<R, T>(
  rows: readonly R[],
  limit: number,
  map: (row: R) => T,
  keyOf: (row: R) => (string | number)[],
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return more && last !== undefined
    ? { items: kept.map(map), nextCursor: encodeCursor(keyOf(last)) }
    : { items: kept.map(map) };
}
