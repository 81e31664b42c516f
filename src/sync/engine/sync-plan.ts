import type { UpdateId, UpdateIdentity } from '../../domain/index.js';
import type { RevisionIdentity } from '../../storage/index.js';
import { identityKey, type HeldState } from './held-state.js';
import { closureReasons } from './prepare-revision.js';

export interface ListingPlan {
  /** Distinct update ids the listing named. */
  readonly listed: number;
  /** What must be fetched. */
  readonly wanted: UpdateIdentity[];
  /** Listed revisions lower than one held (R6). */
  readonly rollbacks: UpdateIdentity[];
  /** The rollbacks not recorded in quarantine yet. */
  readonly freshRollbacks: UpdateIdentity[];
}

/**
 * From a listing to what must be fetched: the highest revision per id (REAL lists carry revisions 1 and 100
 * of one category), minus what is held, minus quarantined revisions not yet due for retry. A listed revision
 * lower than one already held is a rollback attempt (R6), refused. Records the listed revisions in `state`.
 */
export function planListing(state: HeldState, listing: readonly UpdateIdentity[], now: number): ListingPlan {
  const best = new Map<string, number>();
  for (const i of listing)
    if ((best.get(i.updateId) ?? -1) < i.revisionNumber) best.set(i.updateId, i.revisionNumber);
  const wanted: UpdateIdentity[] = [];
  const rollbacks: UpdateIdentity[] = [];
  for (const [u, rev] of best) {
    if ((state.listed.get(u) ?? -1) < rev) state.listed.set(u, rev);
    const held = state.heldMax.get(u);
    if (held === rev) continue;
    if (held !== undefined && held > rev) {
      rollbacks.push({ updateId: u as UpdateId, revisionNumber: rev });
      continue;
    }
    if (state.isWaiting(identityKey(u, rev), now)) continue;
    wanted.push({ updateId: u as UpdateId, revisionNumber: rev });
  }
  const freshRollbacks = rollbacks.filter(
    (r) => !state.quarantine.has(identityKey(r.updateId, r.revisionNumber)),
  );
  return { listed: best.size, wanted, rollbacks, freshRollbacks };
}

/** Quarantined revisions whose retry time has come, listed again or not (closure verdicts and rollbacks never). */
export function dueRetries(state: HeldState, now: number): UpdateIdentity[] {
  return [...state.quarantine.values()]
    .filter(
      (q) =>
        !closureReasons.has(q.reasonCode) &&
        q.reasonCode !== 'revision_rollback' &&
        q.nextRetryAt !== null &&
        q.nextRetryAt <= now &&
        !state.held.has(identityKey(q.updateId, q.revisionNumber)),
    )
    .map((q) => ({ updateId: q.updateId as UpdateId, revisionNumber: q.revisionNumber }));
}

/**
 * One closure round (docs/protocol/update-xml.md §3.7 step 3): bundled children (exact identities) not held,
 * and prerequisite ids with no held revision that a listing of this run resolves to a revision; quarantined
 * ones only once due.
 */
export function closureNeeds(
  state: HeldState,
  bundled: readonly RevisionIdentity[],
  prerequisiteUpdateIds: readonly string[],
  now: number,
): UpdateIdentity[] {
  const need = new Map<string, UpdateIdentity>();
  const consider = (u: string, rev: number) => {
    const k = identityKey(u, rev);
    if (state.held.has(k) || need.has(k) || state.isWaiting(k, now)) return;
    need.set(k, { updateId: u as UpdateId, revisionNumber: rev });
  };
  for (const b of bundled) consider(b.updateId, b.revisionNumber);
  for (const u of prerequisiteUpdateIds) {
    if (state.heldMax.has(u)) continue;
    const rev = state.listed.get(u);
    if (rev !== undefined) consider(u, rev);
  }
  return [...need.values()];
}
