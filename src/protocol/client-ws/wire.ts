import { AppError } from '../../errors.js';
import type { RevisionId, UpdateId } from '../../domain/index.js';
import { parseGuid, parseInt32, stringParser, type ItemParser } from '../soap/index.js';
import { invalidParameter, type XmlElement } from '../xml/index.js';

/**
 * Small item parsers the client codecs share, built on the SOAP layer's typed readers (soap/values.ts).
 * Nothing here reads arrays or envelopes; that is the SOAP layer's job.
 */

/**
 * The revision id written as plain digits in s[start, end) (`108226`), or -1 when it is anything else
 * (empty, whitespace, a sign, out of range…): then parseRevisionId decides, with its errors.
 */
export function plainRevisionIdAt(s: string, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 10) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v >= 1 && v <= 0x7fffffff ? v : -1;
}

/** A server-local revision id: an int32 >= 1 (we never hand out anything else). */
export const parseRevisionId: ItemParser<RevisionId> = (text, path) => {
  // Fast path for the common `<int>108226</int>` (cached-id lists run to thousands per call); anything
  // else (whitespace, signs, bad input) takes the SOAP layer's full xs:int parser and its errors.
  const v = plainRevisionIdAt(text, 0, text.length);
  if (v > 0) return v;
  const n = parseInt32(text, path);
  if (n < 1) throw invalidParameter(path, 'not a revision id');
  return n;
};

/** An update / category GUID, lower case. */
export const parseUpdateId: ItemParser<UpdateId> = (text, path) => parseGuid(text, path);

/** A non-negative int32 (revision numbers, counts). */
export const parseNonNegativeInt32: ItemParser<number> = (text, path) => {
  const n = parseInt32(text, path);
  if (n < 0) throw invalidParameter(path, 'negative');
  return n;
};

/** A bounded string with surrounding XML whitespace removed (names, versions, enum-like values). */
export function trimmedStringParser(maxLength: number): ItemParser<string> {
  const read = stringParser(maxLength);
  return (text, path) => read(text, path).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/** Guards a decoder entry point: the dispatcher selected this element, but a direct caller may not have. */
export function expectOperation(el: XmlElement, namespace: string, name: string): void {
  if (el.uri !== namespace || el.local !== name)
    throw new AppError(
      'PB_ERR_SOAP_UNKNOWN_OPERATION',
      `expected {${namespace}}${name}, got {${el.uri.slice(0, 200)}}${el.local.slice(0, 100)}`,
      { detail: { operation: el.local.slice(0, 100) } },
    );
}

/**
 * The item elements of an array of complex values (`<requestedCategories><CategoryRelationship>…`,
 * `<globalIDs><UpdateIdentity>…`). Like the SOAP layer's scalar array readers it accepts any item name (literal
 * arrays name items after the type, SOAP-encoded ones often `item`) and refuses more than `max` items before
 * reading any of them. soap/values.ts reads arrays of scalars only; this is the complex-item counterpart.
 */
export function complexArrayItems(arrayEl: XmlElement, path: string, max: number): XmlElement[] {
  const items: XmlElement[] = [];
  for (const c of arrayEl.children) {
    if (c.kind !== 'element') continue;
    if (items.length === max) throw invalidParameter(path, `more than ${max} items`);
    items.push(c);
  }
  return items;
}
