import type { UpdateIdentity } from '../../domain/index.js';
import { AppError } from '../../errors.js';
import type { UpdateDataResult } from '../../protocol/server-sync/index.js';
import type { Executor } from '../../storage/index.js';
import { activateMembers } from './activate-generation.js';
import { checkClosure } from './closure-check.js';
import { BatchCommitter } from './commit-batch.js';
import { RevisionFetcher } from './fetch-revisions.js';
import { HeldState, identityKey } from './held-state.js';
import { RunTally } from './run-tally.js';
import { recordedRun } from './run-sync.js';
import type { RevisionImportContext } from './sync-context.js';
import type { SyncDeps, SyncOptions, SyncResult } from './sync-types.js';

/**
 * A metadata run whose documents come from somewhere other than an upstream (a bundle, src/bundle), in
 * batches shaped as GetUpdateData answers. They go through the sync's own steps: the listing plan (held
 * revisions skipped, so an interrupted import resumes; a lower revision than held refused as a rollback),
 * prepareRevision's checks and quarantine, batch commits, the closure check and the atomic activation of a
 * new generation. `alsoInTransaction` runs in the activation's transaction (or in one of its own when the
 * catalog did not change): an import's approvals move together with its catalog.
 */
export async function importRevisionBatches(
  deps: Omit<SyncDeps, 'transport'>,
  options: SyncOptions,
  batches: AsyncIterable<UpdateDataResult>,
  alsoInTransaction?: (trx: Executor) => Promise<void>,
): Promise<SyncResult> {
  return recordedRun(deps, options, async (base) => {
    const source = new BatchSource();
    const ctx: RevisionImportContext = {
      ...base,
      client: source,
      state: new HeldState(),
      tally: new RunTally(options.onProgress),
    };
    await ctx.state.load(ctx.stores);
    const fetcher = new RevisionFetcher(ctx, new BatchCommitter(ctx));
    for await (const batch of batches) {
      source.current = batch;
      await fetcher.fetchAll(
        fetcher.plan(
          batch.updates.map((u) => u.identity),
          'revisionsListed',
        ),
        'updates',
      );
    }
    // Rollbacks queued by the last batch are recorded with an empty fetch.
    await fetcher.fetchAll([], 'updates');
    ctx.tally.progress('validate');
    const members = await checkClosure(ctx);
    ctx.tally.progress('activate');
    const activation = await activateMembers(ctx, members, alsoInTransaction);
    if (alsoInTransaction !== undefined && activation.ranInActivation !== true)
      await deps.db.transaction(alsoInTransaction);
    ctx.tally.progress('done');
    return {
      syncRunId: ctx.runId,
      outcome: ctx.tally.quarantinedThisRun > 0 ? 'partial' : 'succeeded',
      generationId: activation.generationId,
      generationChanged: activation.changed,
      pinnedGenerationId: activation.pinned?.generationId ?? null,
      note:
        activation.pinned === undefined
          ? (activation.note ?? null)
          : `not activated: catalog pinned to generation ${activation.pinned.generationId} (patchbay catalog unpin)`,
      counters: { ...ctx.tally.counters },
      calls: {},
      importedRevisionIds: [...ctx.tally.importedRevisionIds],
    };
  });
}

/** GetUpdateData over the batch being imported: the fetcher asks only for identities of that batch. */
class BatchSource {
  current: UpdateDataResult = { updates: [], fileUrls: [] };

  getUpdateData(ids: readonly UpdateIdentity[]): Promise<UpdateDataResult & { unattributable: number }> {
    const wanted = new Set(ids.map((i) => identityKey(i.updateId, i.revisionNumber)));
    const updates = this.current.updates.filter((u) =>
      wanted.has(identityKey(u.identity.updateId, u.identity.revisionNumber)),
    );
    if (updates.length === 0)
      return Promise.reject(new AppError('PB_ERR_INTERNAL', 'bundle batch: none of the requested documents'));
    return Promise.resolve({ updates, fileUrls: this.current.fileUrls, unattributable: 0 });
  }
}
