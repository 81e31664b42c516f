/**
 * What `patchbay sync status` and `patchbay sync --json` report, shared with `GET /api/v1/sync/status` and
 * the result of a sync job (`POST /api/v1/sync`), so the CLI and the API say the same thing.
 */
import type { Config } from '../config/index.js';
import { checkStaleSync, nextRun } from '../jobs/index.js';
import { createRepositories, type DbHandle } from '../storage/index.js';
import type { SyncPipelineResult, SyncProgress } from '../sync/index.js';

export async function syncStatus(db: DbHandle, config: Config, now = Date.now()) {
  const repos = createRepositories(db);
  const [last, stale, lease] = await Promise.all([
    repos.syncRuns.list(1),
    checkStaleSync(repos, { staleAfterMs: config.sync.staleAfterHours * 3_600_000, now }),
    repos.jobLeases.get('sync'),
  ]);
  const first = config.sync.firstSyncTime;
  const firstText = `${String(first.hour).padStart(2, '0')}:${String(first.minute).padStart(2, '0')}`;
  const next = nextRun(
    { kind: 'daily', firstTime: firstText, perDay: config.sync.syncsPerDay, jitterMs: 0 },
    now,
  );
  return {
    upstream: config.upstream.url,
    lastRun: last[0] ?? null,
    lastGoodSyncAt: stale.lastGoodAt ?? null,
    /** Age of the last good sync (ms), for the text rendering. */
    lastGoodAgeMs: stale.ageMs ?? null,
    stale: stale.stale,
    staleAfterHours: config.sync.staleAfterHours,
    pinned: stale.pin ?? null,
    running:
      lease !== undefined && lease.expiresAt > now ? { node: lease.holder, since: lease.acquiredAt } : null,
    schedule: {
      firstSyncTime: firstText,
      syncsPerDay: config.sync.syncsPerDay,
      jitterMinutes: config.sync.jitterMinutes,
      nextSlotAt: next?.slotAt ?? null,
    },
  };
}

export type SyncStatus = Awaited<ReturnType<typeof syncStatus>>;

/** Whether a synchronization completed with problems (exit 1 of `patchbay sync`, outcome `partial`). */
export function syncWasPartial(r: SyncPipelineResult): boolean {
  return (
    r.sync.outcome === 'partial' ||
    (r.content?.filesFailed ?? 0) > 0 ||
    r.contentError !== undefined ||
    r.rulesError !== undefined ||
    r.supersededError !== undefined
  );
}

const errorOf = (e: { code: string; message: string } | undefined) =>
  e ? { code: e.code, message: e.message } : null;

/** `patchbay sync --json`, and the result of a sync job. */
export function syncSummary(r: SyncPipelineResult, elapsedMs: number) {
  // The imported ids can number 100,000s: the summary carries their count, not the list.
  const { importedRevisionIds: _ids, ...sync } = r.sync;
  return {
    outcome: syncWasPartial(r) ? ('partial' as const) : ('succeeded' as const),
    sync,
    rules: {
      approvals: r.rules?.approvals.length ?? 0,
      declined: r.rules?.declined.length ?? 0,
      revoked: r.rules?.revoked.length ?? 0,
    },
    rulesError: errorOf(r.rulesError),
    supersededDeclined: r.superseded?.declined.map((d) => d.updateId) ?? null,
    supersededError: errorOf(r.supersededError),
    content: r.content ?? null,
    contentError: errorOf(r.contentError),
    elapsedMs,
  };
}

/**
 * The progress bar's value and total within the current phase. The engine's fetch counter runs over the
 * whole synchronization while its total is per phase (categories, then updates), so drawing the counter
 * against the total showed `updates 109/9`: count from where the phase (or its fetch list) started.
 */
export function phaseCounter(): (p: SyncProgress) => { value: number; total: number } {
  let key = '';
  let base = 0;
  return (p) => {
    const fetched = p.counters.revisionsFetched ?? 0;
    const now = `${p.phase}/${p.phaseTotal}`;
    if (now !== key) {
      key = now;
      base = fetched;
    }
    const total = Math.max(p.phaseTotal, 1);
    return { value: p.phase === 'done' ? total : Math.min(Math.max(fetched - base, 0), total), total };
  };
}
