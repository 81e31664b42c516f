import type { ScrapeSnapshot, ScrapeSource } from '../observability/index.js';
import { createRepositories, type DbHandle } from '../storage/index.js';
import { diskUsage } from './disk.js';

/** The database-derived figures of /metrics (cached by PatchbayMetrics between scrapes). */
export function storageScrapeSource(db: DbHandle, contentDir: string): ScrapeSource {
  const repos = createRepositories(db);
  return {
    async snapshot(): Promise<ScrapeSnapshot> {
      const now = Date.now();
      const [stats, totals, lastGood, runs, disk, rollouts, catalogRollout] = await Promise.all([
        repos.opsStats.snapshot({ activeSince: now - 3_600_000, failuresSince: now - 3_600_000 }),
        repos.contentState.totals(),
        repos.syncRuns.lastGoodMetadata(),
        repos.opsStats.syncRunCounts(),
        diskUsage(contentDir).catch(() => undefined),
        repos.rollouts.countByState(),
        repos.catalogRollouts.current(),
      ]);
      const contentFiles: Record<string, { files: number; bytes: number }> = {};
      for (const state of ['absent', 'queued', 'downloading', 'verified', 'failed'])
        contentFiles[state] = { files: 0, bytes: 0 };
      for (const t of totals) contentFiles[t.state] = { files: t.files, bytes: t.bytes };
      const goodAt = lastGood === undefined ? undefined : (lastGood.finishedAt ?? lastGood.startedAt);
      return {
        computers: stats.computers,
        activeComputers: stats.activeComputers,
        compliance: stats.compliance,
        quarantined: stats.quarantined,
        lastGoodSyncAgeSeconds: goodAt === undefined ? undefined : Math.max(0, (now - goodAt) / 1000),
        contentFiles,
        syncRuns: runs,
        contentDisk: disk,
        pool: db.poolStats(),
        rollouts,
        catalogRollout:
          catalogRollout === undefined
            ? undefined
            : { state: catalogRollout.state, ringIndex: catalogRollout.ringIndex },
      };
    },
  };
}
