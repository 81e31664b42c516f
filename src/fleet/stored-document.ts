import { isAppError } from '../errors.js';
import { parseUpdateDocument, type UpdateDocument } from '../protocol/update-xml/index.js';
import type { AdminStore } from './admin-store.js';

/**
 * A revision's stored update document, parsed; undefined when none is stored or it no longer parses (then it
 * proves nothing: not uninstallable, no license agreement). Unexpected errors still propagate.
 */
export async function readStoredDocument(
  store: Pick<AdminStore, 'readDocument'>,
  revisionId: number,
): Promise<UpdateDocument | undefined> {
  const doc = await store.readDocument(revisionId);
  if (doc === undefined) return undefined;
  try {
    return parseUpdateDocument(doc);
  } catch (e) {
    if (isAppError(e)) return undefined;
    throw e;
  }
}
