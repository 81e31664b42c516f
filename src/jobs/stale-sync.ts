import type { Logger } from 'pino';
import type { CatalogPin } from '../storage/index.js';
import type { JobDefinition } from './job-registry.js';

export interface StaleSyncReport {
  readonly stale: boolean;
  /** When the last metadata sync that succeeded (fully or partially) finished; undefined if none ever did. */
  readonly lastGoodAt: number | undefined;
  readonly ageMs: number | undefined;
  readonly staleAfterMs: number;
  /**
   * `catalog rollback` pinned a generation: syncs may be fresh, yet clients get nothing newer until
   * `catalog unpin`, which an operator must not forget, so the warning says so.
   */
  readonly pin: CatalogPin | undefined;
}

/** What the alarm reads: the sync history and the rollback pin (the storage repositories implement it). */
export interface StaleSyncSource {
  readonly syncRuns: {
    /** The latest metadata run that succeeded fully or partially. */
    lastGoodMetadata(): Promise<{ finishedAt: number | null; startedAt: number } | undefined>;
  };
  readonly generations: { getPin(): Promise<CatalogPin | undefined> };
}

/**
 * The stale-sync alarm (targets.md R6): true when the last good metadata sync is older than the limit, or
 * there never was one. Content-download runs do not count. Clients keep being served either way; this only
 * tells the operator that the catalog is no longer fresh (an upstream outage, a rejected rollback, a stuck job).
 */
export async function checkStaleSync(
  source: StaleSyncSource,
  options: { staleAfterMs: number; now?: number },
): Promise<StaleSyncReport> {
  const now = options.now ?? Date.now();
  const run = await source.syncRuns.lastGoodMetadata();
  const lastGoodAt = run === undefined ? undefined : (run.finishedAt ?? run.startedAt);
  const ageMs = lastGoodAt === undefined ? undefined : now - lastGoodAt;
  return {
    stale: ageMs === undefined || ageMs > options.staleAfterMs,
    lastGoodAt,
    ageMs,
    staleAfterMs: options.staleAfterMs,
    pin: await source.generations.getPin(),
  };
}

/** A local job (every node logs it) that warns while the catalog is stale or pinned. */
export function staleSyncJob(deps: {
  source: StaleSyncSource;
  staleAfterMs: number;
  everyMs?: number;
  onReport?: (r: StaleSyncReport) => void;
}): JobDefinition {
  return {
    name: 'stale-sync-check',
    description: 'warn when the last good synchronization is older than sync.stale_after_hours',
    trigger: { kind: 'interval', everyMs: deps.everyMs ?? 15 * 60_000 },
    singleRunner: false,
    run: async ({ logger }) => {
      const r = await checkStaleSync(deps.source, { staleAfterMs: deps.staleAfterMs });
      deps.onReport?.(r);
      if (r.stale || r.pin !== undefined) logStale(logger, r);
    },
  };
}

export function logStale(logger: Logger, r: StaleSyncReport): void {
  const pinned =
    r.pin === undefined
      ? ''
      : `the catalog is pinned to generation ${r.pin.generationId} since ${new Date(r.pin.pinnedAt).toISOString()} ` +
        '(catalog rollback): synchronizations run but are not activated until `patchbay catalog unpin`';
  const stale = !r.stale
    ? ''
    : r.lastGoodAt === undefined
      ? 'no synchronization has succeeded yet: the catalog is empty or stale (clients are still served)'
      : 'the last good synchronization is older than sync.stale_after_hours (clients are still served)';
  logger.warn(
    {
      lastGoodSyncAt: r.lastGoodAt === undefined ? null : new Date(r.lastGoodAt).toISOString(),
      ageHours: r.ageMs === undefined ? null : Math.round(r.ageMs / 360_000) / 10,
      staleAfterHours: r.staleAfterMs / 3_600_000,
      pinnedGenerationId: r.pin?.generationId ?? null,
    },
    [stale, pinned].filter((m) => m !== '').join('; '),
  );
}
