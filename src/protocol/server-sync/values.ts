import type { UpdateId, UpdateIdentity } from '../../domain/index.js';
import { parseGuid, readRequired, type ItemParser } from '../soap/index.js';
import { el, invalidParameter, textEl, type XmlElement } from '../xml/index.js';

/** A GUID as an UpdateId (lower case). */
export const parseUpdateId: ItemParser<UpdateId> = (text, path) => parseGuid(text, path);

/** Revision numbers and limits are non-negative int32s. */
export const parseNonNegativeInt: ItemParser<number> = (text, path) => {
  const t = text.trim();
  if (!/^\+?\d{1,10}$/.test(t)) throw invalidParameter(path, 'not a non-negative integer');
  const n = Number(t);
  if (n > 0x7fffffff) throw invalidParameter(path, 'integer out of the int32 range');
  return n;
};

/** A trimmed string of bounded length. */
export function shortString(maxLength: number): ItemParser<string> {
  return (text, path) => {
    if (text.length > maxLength) throw invalidParameter(path, `longer than ${maxLength} characters`);
    return text.trim();
  };
}

/** `<X><UpdateID>guid</UpdateID><RevisionNumber>n</RevisionNumber></X>` in `ns`. */
export function decodeUpdateIdentity(item: XmlElement, ns: string, path: string): UpdateIdentity {
  return {
    updateId: readRequired(item, ns, 'UpdateID', `${path}.UpdateID`, parseUpdateId),
    revisionNumber: readRequired(item, ns, 'RevisionNumber', `${path}.RevisionNumber`, parseNonNegativeInt),
  };
}

export function encodeUpdateIdentity(name: string, id: UpdateIdentity): string {
  return el(name, undefined, [textEl('UpdateID', id.updateId), textEl('RevisionNumber', id.revisionNumber)]);
}

/** `true`/`false` as .NET writes booleans. */
export function boolText(b: boolean): string {
  return b ? 'true' : 'false';
}
