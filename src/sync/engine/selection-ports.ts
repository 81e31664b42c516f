import type { CategoryEntry } from './selection.js';

/**
 * What the sync selection needs from storage. The storage repositories implement it structurally
 * (`createRepositories(...)`), so no query is written here.
 */
export interface CategoryStore {
  /** Every stored category with its parents, by type then title. */
  listWithParents(): Promise<CategoryEntry[]>;
}
