import type { UpdateIdentity } from '../../domain/index.js';
import { AppError, isAppError, toAppError } from '../../errors.js';
import type { ServerSyncUpdateData } from '../../protocol/server-sync/index.js';
import type { BatchCommitter, ImportedRevision, RefusedRevision } from './commit-batch.js';
import { identityKey } from './held-state.js';
import { prepareRevision, type Prepared } from './prepare-revision.js';
import { isFault } from './server-sync-client.js';
import type { RevisionImportContext } from './sync-context.js';
import type { SyncPhase } from './sync-types.js';
import { planListing } from './sync-plan.js';

/** Single ids in a row whose answer is unreadable before the upstream itself is deemed broken. */
const maxProtocolErrorStreak = 4;

/**
 * GetUpdateData in batches within the upstream's limit: a partial answer is re-requested, a whole-call fault
 * is bisected down to the one bad id, which is quarantined (`upstream_fault`); documents that fail the checks
 * of prepareRevision are quarantined with their reason. Every batch is committed by the BatchCommitter.
 */
export class RevisionFetcher {
  /** Capped by the upstream's MaxNumberOfUpdatesPerRequest once the config is known. */
  batchSize = 100;
  #protocolErrorStreak = 0;
  readonly #pendingRollbacks: UpdateIdentity[] = [];

  constructor(
    private readonly ctx: RevisionImportContext,
    private readonly committer: BatchCommitter,
  ) {}

  /** Rollback attempts to record in quarantine with the next fetch. */
  queueRollbacks(rollbacks: readonly UpdateIdentity[]): void {
    this.#pendingRollbacks.push(...rollbacks);
  }

  /**
   * A listing planned (sync-plan.ts): what must be fetched, counted under `counter`; its rollback attempts are
   * logged and queued for quarantine with the next fetch.
   */
  plan(listing: readonly UpdateIdentity[], counter: string): UpdateIdentity[] {
    const { tally, log } = this.ctx;
    const plan = planListing(this.ctx.state, listing, this.ctx.now());
    tally.counters[counter] = (tally.counters[counter] ?? 0) + plan.listed;
    if (plan.rollbacks.length > 0) {
      log.warn(
        { count: plan.rollbacks.length, sample: plan.rollbacks.slice(0, 5) },
        'upstream offered lower revisions than held (rollback attempt): refused',
      );
      tally.counters.rollbacksRejected! += plan.rollbacks.length;
      this.queueRollbacks(plan.freshRollbacks);
    }
    return plan.wanted;
  }

  async fetchAll(ids: readonly UpdateIdentity[], phase: SyncPhase): Promise<void> {
    this.ctx.tally.progress(phase, ids.length);
    if (this.#pendingRollbacks.length > 0) {
      const entries: RefusedRevision[] = this.#pendingRollbacks.splice(0).map((r) => ({
        updateId: r.updateId,
        revisionNumber: r.revisionNumber,
        reason: 'revision_rollback' as const,
        detail: `a higher revision (${this.ctx.state.heldMax.get(r.updateId)}) is already held`,
      }));
      await this.committer.commit([], entries, {});
    }
    for (let i = 0; i < ids.length; i += this.batchSize)
      await this.#fetchBatch(ids.slice(i, i + this.batchSize));
  }

  /**
   * One batch: re-requests whatever a partial answer left out (fails only when a request returns nothing),
   * and bisects a whole-call fault (REAL: one unknown id faults the whole call with InternalServerError) down
   * to the single id that causes it, which is quarantined.
   */
  async #fetchBatch(batch: readonly UpdateIdentity[]): Promise<void> {
    const { ctx } = this;
    let pending = batch;
    while (pending.length > 0) {
      let result;
      try {
        result = await ctx.client.getUpdateData(pending);
      } catch (e) {
        if (!isFault(e, 'InternalServerError', 'InvalidParameters') && !isBlobLevelProtocolError(e)) throw e;
        if (pending.length === 1) {
          const one = pending[0]!;
          // Unreadable answers for id after id, with nothing readable in between, is a broken upstream (an
          // HTML error page with status 200, a proxy mangling bodies), not bad revisions: fail the run instead
          // of quarantining the whole catalog.
          if (isBlobLevelProtocolError(e) && ++this.#protocolErrorStreak > maxProtocolErrorStreak) throw e;
          ctx.log.warn(
            { identity: one, err: toAppError(e).message },
            'upstream faults on this id alone: quarantined',
          );
          await this.committer.commit(
            [],
            [{ ...one, reason: 'upstream_fault', detail: toAppError(e).message }],
            { revisionsFetched: 0 },
          );
          return;
        }
        const mid = Math.ceil(pending.length / 2);
        await this.#fetchBatch(pending.slice(0, mid));
        await this.#fetchBatch(pending.slice(mid));
        return;
      }
      this.#protocolErrorStreak = 0;
      const wanted = new Map(pending.map((p) => [identityKey(p.updateId, p.revisionNumber), p]));
      const got: ServerSyncUpdateData[] = [];
      for (const u of result.updates) {
        const k = identityKey(u.identity.updateId, u.identity.revisionNumber);
        if (!wanted.has(k)) continue; // unrequested or duplicate: ignored
        wanted.delete(k);
        got.push(u);
      }
      if (got.length === 0)
        throw new AppError(
          'PB_ERR_SYNC_INCOMPLETE',
          `upstream returned none of the ${pending.length} requested updates`,
          {
            detail: { requested: pending.length, unattributable: result.unattributable },
          },
        );
      const muUrls = new Map(
        result.fileUrls.filter((f) => f.muUrl !== '').map((f) => [f.fileDigest, f.muUrl]),
      );
      const prepared = got.map((u) => prepareRevision(u, muUrls, ctx.state.categoryTypes, ctx.limits));
      const ok = prepared.filter((p): p is ImportedRevision => p.ok);
      const bad = prepared
        .filter((p): p is Extract<Prepared, { ok: false }> => !p.ok)
        .map((p) => ({ ...p.identity, reason: p.reason, detail: p.detail }));
      await this.committer.commit(ok, bad, { revisionsFetched: got.length });
      if (wanted.size > 0)
        ctx.log.info({ missing: wanted.size }, 'partial GetUpdateData answer; re-requesting the rest');
      pending = [...wanted.values()];
    }
  }
}

/** A blob-level protocol error is per update; a whole-answer one (bad envelope) may come from one bad id too. */
function isBlobLevelProtocolError(e: unknown): boolean {
  return isAppError(e) && e.code === 'PB_ERR_UPSTREAM_PROTOCOL';
}
