import type { QuarantineInput } from '../../storage/index.js';
import { computeClosure, type ClosureResult, type GraphRevision } from './closure.js';
import { identityKey } from './held-state.js';
import { closureReasons } from './prepare-revision.js';
import type { RevisionImportContext } from './sync-context.js';

/**
 * Validates the relationship closure over every held revision (closure.ts) and brings the closure quarantine
 * up to date in one transaction: new verdicts added, entries that now pass released, unchanged entries left
 * alone. Held revisions an operator or a document check quarantined stay out of the graph. Returns the
 * members the next generation must have.
 */
export async function checkClosure(ctx: RevisionImportContext): Promise<ClosureResult['members']> {
  const { state } = ctx;
  const nodes = await ctx.stores.revisionGraph.nodes();
  const excluded = new Set(
    [...state.quarantine.values()]
      .filter((q) => !closureReasons.has(q.reasonCode))
      .map((q) => identityKey(q.updateId, q.revisionNumber)),
  );
  const graph: GraphRevision[] = nodes
    .filter((r) => !excluded.has(identityKey(r.updateId, r.revisionNumber)))
    .map((r) => ({
      revisionId: r.revisionId,
      updateId: r.updateId,
      revisionNumber: r.revisionNumber,
      prerequisites: r.prerequisites,
      bundled: r.bundled.map((g) => g.map((b) => identityKey(b.updateId, b.revisionNumber))),
    }));
  const { members, invalid } = computeClosure(graph);
  const byId = new Map(nodes.map((r) => [r.revisionId, r]));

  const toAdd: QuarantineInput[] = [];
  for (const [revisionId, v] of invalid) {
    const r = byId.get(revisionId)!;
    const prev = state.quarantine.get(identityKey(r.updateId, r.revisionNumber));
    if (prev && prev.reasonCode === v.reason) continue;
    toAdd.push({
      updateId: r.updateId,
      revisionNumber: r.revisionNumber,
      revisionId,
      reasonCode: v.reason,
      detail: v.detail,
      causedByUpdateId: v.causedByUpdateId,
      syncRunId: ctx.runId,
      nextRetryAt: null,
    });
  }
  const invalidKeys = new Set(
    [...invalid.keys()].map((id) => identityKey(byId.get(id)!.updateId, byId.get(id)!.revisionNumber)),
  );
  const toClear = [...state.quarantine.values()]
    .filter(
      (q) => closureReasons.has(q.reasonCode) && !invalidKeys.has(identityKey(q.updateId, q.revisionNumber)),
    )
    .map((q) => ({ updateId: q.updateId, revisionNumber: q.revisionNumber }));
  if (toAdd.length === 0 && toClear.length === 0) return members;
  if (toAdd.length > 0)
    ctx.log.warn(
      { count: toAdd.length, sample: toAdd.slice(0, 5).map((a) => [a.updateId, a.reasonCode]) },
      'revisions quarantined by the closure check',
    );
  await ctx.transaction(async (s) => {
    if (toAdd.length > 0) await s.quarantine.add(toAdd);
    if (toClear.length > 0) await s.quarantine.clear(toClear);
    await s.syncRuns.addCounters(ctx.runId, {
      revisionsQuarantined: toAdd.length,
      revisionsReleased: toClear.length,
    });
  });
  ctx.tally.counters.revisionsQuarantined! += toAdd.length;
  ctx.tally.counters.revisionsReleased! += toClear.length;
  ctx.tally.quarantinedThisRun += toAdd.length;
  return members;
}
