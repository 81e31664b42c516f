import { createHash } from 'node:crypto';
import type { DbHandle } from '../../storage/index.js';
import { getSelection, listCategories, resolveSelection, type SyncSelection } from './selection.js';

/** The stored selection resolved against the stored categories, with its languages. */
export async function resolvedSelection(db: DbHandle, fallback: SyncSelection | undefined) {
  const sel = await getSelection(db, fallback);
  const r = resolveSelection(sel, await listCategories(db));
  return { ...r, languages: sel.languages };
}

/** A stable anchor scope per filter: a new selection starts from no anchor (a full list for it). */
export async function updatesScope(db: DbHandle, fallback: SyncSelection | undefined): Promise<string> {
  const sel = await resolvedSelection(db, fallback);
  const h = createHash('sha256')
    .update(JSON.stringify([sel.products, sel.classifications, [...sel.languages].sort()]))
    .digest('hex');
  return `updates:${h.slice(0, 16)}`;
}
