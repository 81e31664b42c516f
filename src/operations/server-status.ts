/**
 * The one status screen (`patchbay status`, docs/operations.md "Status"): version, database, disk use and
 * free space, last and next synchronization, the active generation and any pin, quarantine, the content
 * queue, client activity in the last hour, and the warnings `patchbay health` finds.
 */
import type { Config } from '../config/index.js';
import { contentStatus } from '../content-sync/index.js';
import { nextRun } from '../jobs/index.js';
import { createRepositories, type DatabaseSize, type DbHandle } from '../storage/index.js';
import { diskUsage, type DiskUsage } from './disk.js';
import { runHealthChecks, type HealthCheck } from './health-checks.js';

export interface ServerStatus {
  readonly version: string;
  readonly generatedAt: string;
  readonly database: { readonly driver: string; readonly location: string } & DatabaseSize;
  readonly disk: { readonly content: DiskUsage; readonly data: DiskUsage };
  readonly content: {
    readonly dir: string;
    readonly mode: string;
    readonly files: number;
    readonly bytes: number;
    /** The download queue: files queued or downloading, and failed ones. */
    readonly queuedFiles: number;
    readonly queuedBytes: number;
    readonly failedFiles: number;
    readonly failedBytes: number;
  };
  readonly sync: {
    readonly last: SyncRunSummary | null;
    readonly lastGood: SyncRunSummary | null;
    /** The next scheduled slot (before jitter); null when syncs_per_day = 0. */
    readonly nextScheduledAt: string | null;
  };
  readonly catalog: {
    readonly activeGenerationId: number | null;
    readonly activatedAt: string | null;
    readonly revisions: number;
    readonly pinnedGenerationId: number | null;
    readonly pinnedAt: string | null;
  };
  readonly quarantinedRevisions: number;
  readonly clients: {
    readonly computers: number;
    readonly activeLastHour: number;
    readonly installFailuresLastHour: number;
    readonly compliance: Readonly<Record<string, number>>;
  };
  /** The health checks that are not ok. */
  readonly warnings: readonly HealthCheck[];
}

export interface SyncRunSummary {
  readonly syncRunId: number;
  readonly kind: string;
  readonly outcome: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

const iso = (ms: number | null | undefined): string | null =>
  ms == null ? null : new Date(ms).toISOString();

export async function serverStatus(
  db: DbHandle,
  config: Config,
  opts: { version: string; databaseLocation: string; now?: number },
): Promise<ServerStatus> {
  const now = opts.now ?? Date.now();
  const repos = createRepositories(db);
  const [size, content, runs, lastGood, active, pin, stats, revisions, contentDisk, dataDisk, health] =
    await Promise.all([
      repos.databaseSize.size(),
      contentStatus(db),
      repos.syncRuns.list(1),
      repos.syncRuns.lastGoodMetadata(),
      repos.generations.getActive(),
      repos.generations.getPin(),
      repos.opsStats.snapshot({ activeSince: now - 3_600_000, failuresSince: now - 3_600_000 }),
      repos.revisions.count(),
      diskUsage(config.content.dir),
      diskUsage(config.server.dataDir),
      runHealthChecks({ config, db, now }),
    ]);
  const run = (r: (typeof runs)[number] | undefined): SyncRunSummary | null =>
    r === undefined
      ? null
      : {
          syncRunId: r.syncRunId,
          kind: r.kind,
          outcome: r.outcome,
          startedAt: iso(r.startedAt)!,
          finishedAt: iso(r.finishedAt),
        };
  const s = config.sync;
  const next =
    s.syncsPerDay === 0
      ? undefined
      : nextRun({ kind: 'daily', firstTime: s.firstSyncTime, perDay: s.syncsPerDay, jitterMs: 0 }, now);
  const st = content.states;
  return {
    version: opts.version,
    generatedAt: iso(now)!,
    database: { driver: config.database.driver, location: opts.databaseLocation, ...size },
    disk: { content: contentDisk, data: dataDisk },
    content: {
      dir: config.content.dir,
      mode: config.content.mode,
      files: st.verified.files,
      bytes: st.verified.bytes,
      queuedFiles: st.queued.files + st.downloading.files,
      queuedBytes: st.queued.bytes + st.downloading.bytes,
      failedFiles: st.failed.files,
      failedBytes: st.failed.bytes,
    },
    sync: { last: run(runs[0]), lastGood: run(lastGood), nextScheduledAt: iso(next?.slotAt) },
    catalog: {
      activeGenerationId: active?.generationId ?? null,
      activatedAt: iso(active?.activatedAt),
      revisions,
      pinnedGenerationId: pin?.generationId ?? null,
      pinnedAt: iso(pin?.pinnedAt),
    },
    quarantinedRevisions: stats.quarantined,
    clients: {
      computers: stats.computers,
      activeLastHour: stats.activeComputers,
      installFailuresLastHour: stats.recentInstallFailures,
      compliance: stats.compliance,
    },
    warnings: health.checks.filter((c) => c.status !== 'ok'),
  };
}
