import type { XmlElement } from '../xml/index.js';
import type { UpdateDocument } from './update-document.js';

/**
 * What the streaming reader kept of a document for fragment derivation (stream-update-document.ts): the
 * small top-level parts as trees and the ApplicabilityRules part already in fragment form. Kept on the record
 * under a module-private symbol (non-enumerable), so the public UpdateDocument type stays as it was. Not a
 * WeakMap: one ephemeron per parsed record doubled the GC time of small documents (measured).
 */
export interface StreamedParts {
  readonly skeleton: XmlElement;
  readonly applicabilityRules: string | undefined;
}

export const streamedPartsKey = Symbol('patchbay.streamedParts');

export function streamedPartsOf(doc: UpdateDocument): StreamedParts | undefined {
  return (doc as unknown as { [streamedPartsKey]?: StreamedParts })[streamedPartsKey];
}
