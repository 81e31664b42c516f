import { escapeCoreXml, type EscapedCoreXml } from '../protocol/client-ws/index.js';
import { ByteLru } from './lru-cache.js';

export type FragmentKindName = 'core' | 'extended';

/** Reads precomputed fragments (already decoded to text) for many revisions; storage implements it. */
export interface FragmentSource {
  fragments(revisionIds: readonly number[], kind: FragmentKindName): Promise<Map<number, string>>;
}

/**
 * Core/Extended fragments through bounded LRUs (by UTF-16 size): hot revisions (categories, the current
 * cumulative updates) are served from memory, the rest is read from the database in one query per call.
 * Never loads the whole catalog's documents.
 *
 * SyncUpdates writes Core fragments escaped inside `<Xml>`; escaping touches every byte of every fragment
 * on every page, so those are kept already escaped (`escapedCore`), apart from the plain ones that
 * GetExtendedUpdateInfo returns. Fragments of a revision never change (a new revision gets a new id), so
 * nothing here needs invalidation.
 */
export class FragmentCache {
  readonly #lru: Record<FragmentKindName, ByteLru<string>>;
  readonly #escapedCore: ByteLru<EscapedCoreXml>;

  constructor(
    private readonly source: FragmentSource,
    maxBytes: number = 64 * 1024 * 1024,
  ) {
    const size = (s: string): number => s.length * 2 + 64;
    this.#escapedCore = new ByteLru(maxBytes / 2, (e) => size(e.escaped));
    this.#lru = { core: new ByteLru(maxBytes / 4, size), extended: new ByteLru(maxBytes / 4, size) };
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

  /** Core fragments escaped for SyncUpdates' `<Xml>`; a revision without a Core fragment is absent. */
  async escapedCore(revisionIds: readonly number[]): Promise<Map<number, EscapedCoreXml>> {
    const out = new Map<number, EscapedCoreXml>();
    let missing: number[] | undefined;
    for (const id of revisionIds) {
      const hit = this.#escapedCore.get(id);
      if (hit === undefined) (missing ??= []).push(id);
      else out.set(id, hit);
    }
    if (missing !== undefined) {
      // Straight from the source: the plain copy is not kept for these (GetExtendedUpdateInfo's own LRU).
      const loaded = await this.source.fragments(missing, 'core');
      for (const [id, xml] of loaded) {
        const e = escapeCoreXml(xml);
        this.#escapedCore.set(id, e);
        out.set(id, e);
      }
    }
    return out;
  }
}
