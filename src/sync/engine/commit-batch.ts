import { AppError } from '../../errors.js';
import { identityKey } from './held-state.js';
import type { Prepared, QuarantineReason } from './prepare-revision.js';
import type { RevisionImportContext } from './sync-context.js';
import { defaultLeaseTtlMs, syncLeaseName } from './sync-types.js';

export type ImportedRevision = Extract<Prepared, { ok: true }>;

export interface RefusedRevision {
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly reason: QuarantineReason;
  readonly detail: string;
}

/**
 * Commits what one GetUpdateData batch produced, in one transaction: revisions, quarantine entries (with
 * their retry time), released entries, the content queue and the run counters. Each batch commits on its own,
 * so a restarted run resumes after the last committed one. Renews the sync lease as it goes.
 */
export class BatchCommitter {
  #leaseRenewedAt = 0;

  constructor(private readonly ctx: RevisionImportContext) {}

  async commit(
    ok: readonly ImportedRevision[],
    bad: readonly RefusedRevision[],
    counters: Record<string, number>,
  ): Promise<void> {
    const { ctx } = this;
    const { state, options: o } = ctx;
    const now = ctx.now();
    const base = o.retryBaseMs ?? 60 * 60_000;
    const max = o.retryMaxMs ?? 7 * 24 * 60 * 60_000;
    const quarantineEntries = bad.map((b) => {
      const prev = state.quarantine.get(identityKey(b.updateId, b.revisionNumber));
      const retries = prev === undefined ? 0 : prev.retryCount + 1;
      return {
        updateId: b.updateId,
        revisionNumber: b.revisionNumber,
        reasonCode: b.reason,
        detail: b.detail,
        syncRunId: ctx.runId,
        // A rollback is never retried: only a higher revision can replace what is held.
        nextRetryAt:
          b.reason === 'revision_rollback' ? null : now + Math.min(max, base * 2 ** Math.min(retries, 30)),
      };
    });
    const released = ok
      .filter((p) => state.quarantine.has(identityKey(p.identity.updateId, p.identity.revisionNumber)))
      .map((p) => p.identity);
    const delta = {
      ...counters,
      revisionsImported: ok.length,
      revisionsQuarantined: quarantineEntries.length,
      revisionsReleased: released.length,
    };
    // Content seam: files stay `absent` unless the mode asks for everything; the downloader takes `queued`.
    const sha1s =
      o.contentMode === 'all'
        ? ok.flatMap((p) => (o.express === true ? p.facts.fileSha1s : p.facts.heldFileSha1s))
        : [];
    let imported: number[] = [];
    await ctx.transaction(async (s) => {
      if (ok.length > 0)
        imported = await s.revisions.upsertMany(
          ok.map((p) => p.input),
          now,
        );
      if (quarantineEntries.length > 0) await s.quarantine.add(quarantineEntries, now);
      if (released.length > 0) await s.quarantine.clear(released);
      if (sha1s.length > 0) await s.contentState.queueAbsent(sha1s, now);
      await s.syncRuns.addCounters(ctx.runId, delta, now);
    });
    ctx.tally.importedRevisionIds.push(...imported);
    await this.#renewLease();
    for (const p of ok) {
      const { updateId, revisionNumber } = p.identity;
      state.hold(updateId, revisionNumber);
      state.quarantine.delete(identityKey(updateId, revisionNumber));
      if (p.facts.updateType === 'Category') state.categoryTypes.set(updateId, p.facts.categoryType);
    }
    for (const q of quarantineEntries) {
      const prev = state.quarantine.get(identityKey(q.updateId, q.revisionNumber));
      state.quarantine.set(identityKey(q.updateId, q.revisionNumber), {
        ...q,
        revisionId: null,
        detail: q.detail,
        causedByUpdateId: null,
        firstSeenAt: prev?.firstSeenAt ?? now,
        lastSeenAt: now,
        retryCount: prev === undefined ? 0 : prev.retryCount + 1,
      });
    }
    ctx.tally.quarantinedThisRun += quarantineEntries.length;
    ctx.tally.add(delta);
    ctx.tally.progress();
    await o.afterBatch?.();
  }

  /** Well before the lease lapses, not on every batch (one write per minute is plenty). */
  async #renewLease(): Promise<void> {
    if (Date.now() - this.#leaseRenewedAt <= 60_000) return;
    const { ctx } = this;
    const renewed = await ctx.stores.jobLeases.acquire(
      syncLeaseName,
      ctx.leaseHolder,
      ctx.options.leaseTtlMs ?? defaultLeaseTtlMs,
    );
    // Expired while we stalled and taken by another run: stop before writing anchors or a generation.
    if (renewed === undefined)
      throw new AppError('PB_ERR_SYNC_BUSY', 'the sync lease expired and another synchronization took it');
    this.#leaseRenewedAt = Date.now();
  }
}
