import { ByteLru } from './lru-cache.js';

export type FragmentKindName = 'core' | 'extended';

/** Reads precomputed fragments (already decoded to text) for many revisions; storage implements it. */
export interface FragmentSource {
  fragments(revisionIds: readonly number[], kind: FragmentKindName): Promise<Map<number, string>>;
}

/**
 * Core/Extended fragments through a bounded LRU (by UTF-16 size): hot revisions (categories, the current
 * cumulative updates) are served from memory, the rest is read from the database in one query per call.
 * Never loads the whole catalog's documents.
 */
export class FragmentCache {
  readonly #lru: Record<FragmentKindName, ByteLru<string>>;

  constructor(
    private readonly source: FragmentSource,
    maxBytes: number = 64 * 1024 * 1024,
  ) {
    const size = (s: string): number => s.length * 2 + 64;
    this.#lru = { core: new ByteLru(maxBytes, size), extended: new ByteLru(maxBytes / 2, size) };
  }

  async get(revisionIds: readonly number[], kind: FragmentKindName): Promise<Map<number, string>> {
    const lru = this.#lru[kind];
    const out = new Map<number, string>();
    const missing: number[] = [];
    for (const id of revisionIds) {
      const hit = lru.get(id);
      if (hit === undefined) missing.push(id);
      else out.set(id, hit);
    }
    if (missing.length > 0) {
      const loaded = await this.source.fragments(missing, kind);
      for (const [id, xml] of loaded) {
        lru.set(id, xml);
        out.set(id, xml);
      }
    }
    return out;
  }
}
