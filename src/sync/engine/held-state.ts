import type { CategoryType } from '../../protocol/update-xml/index.js';
import type { QuarantineRecord } from '../../storage/index.js';
import type { SyncStores } from './sync-ports.js';

/** The key of an exact identity in the run's maps (the closure check uses the same form for bundle members). */
export const identityKey = (updateId: string, revisionNumber: number) => `${updateId}/${revisionNumber}`;

/**
 * What the run knows is stored: held revisions, quarantine entries and category types, loaded once at the start
 * and kept current by every committed batch, so planning never asks the database per revision.
 */
export class HeldState {
  /** Highest held revision per update id, and every held identity. */
  readonly heldMax = new Map<string, number>();
  readonly held = new Set<string>();
  readonly quarantine = new Map<string, QuarantineRecord>();
  /** Highest listed revision per update id in this run (closure resolution of prerequisite ids). */
  readonly listed = new Map<string, number>();
  readonly categoryTypes = new Map<string, CategoryType | null>();

  async load(stores: Pick<SyncStores, 'revisionGraph' | 'quarantine' | 'categories'>): Promise<void> {
    for (const r of await stores.revisionGraph.identities()) this.hold(r.updateId, r.revisionNumber);
    for (const q of await stores.quarantine.list({ limit: 10_000_000 }))
      this.quarantine.set(identityKey(q.updateId, q.revisionNumber), q);
    for (const [updateId, type] of await stores.categories.types())
      this.categoryTypes.set(updateId, (type as CategoryType | null) ?? null);
  }

  hold(updateId: string, revisionNumber: number): void {
    this.held.add(identityKey(updateId, revisionNumber));
    if ((this.heldMax.get(updateId) ?? -1) < revisionNumber) this.heldMax.set(updateId, revisionNumber);
  }

  /** Quarantined and not to be fetched now: never retried (null) or not due yet. */
  isWaiting(key: string, now: number): boolean {
    const q = this.quarantine.get(key);
    return q !== undefined && (q.nextRetryAt === null || q.nextRetryAt > now);
  }
}
