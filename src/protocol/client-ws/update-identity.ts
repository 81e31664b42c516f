import type { UpdateIdentity } from '../../domain/index.js';
import { readRequired } from '../soap/index.js';
import { el, textEl, type XmlElement } from '../xml/index.js';
import { ordered, updateIdentityOrder } from './element-order.js';
import { parseNonNegativeInt32, parseUpdateId } from './wire.js';

/** `<X><UpdateID>guid</UpdateID><RevisionNumber>n</RevisionNumber></X>` (elements, in the operation namespace). */
export function decodeUpdateIdentityElement(item: XmlElement, ns: string, path: string): UpdateIdentity {
  return {
    updateId: readRequired(item, ns, 'UpdateID', `${path}.UpdateID`, parseUpdateId),
    revisionNumber: readRequired(item, ns, 'RevisionNumber', `${path}.RevisionNumber`, parseNonNegativeInt32),
  };
}

export function encodeUpdateIdentityElement(name: string, id: UpdateIdentity): string {
  return el(
    name,
    undefined,
    ordered(updateIdentityOrder, {
      UpdateID: textEl('UpdateID', id.updateId),
      RevisionNumber: textEl('RevisionNumber', id.revisionNumber),
    }),
  );
}
