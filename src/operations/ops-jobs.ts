/**
 * The jobs that turn conditions into notifications: disk space and install-failure spikes every 15 minutes
 * (each node checks its own disks), the stale-sync alarm (src/jobs, its report handed here), and the daily
 * or weekly summary (once per cluster). A persisting condition is repeated after notifications.repeat_hours.
 */
import type { Config } from '../config/index.js';
import type { JobDefinition, StaleSyncReport } from '../jobs/index.js';
import {
  diskLowNotification,
  failureSpikeNotification,
  staleNotification,
  summaryNotification,
  type Notifier,
} from '../notify/index.js';
import { createRepositories, type DbHandle } from '../storage/index.js';
import { diskUsage } from './disk.js';
import { serverStatus } from './server-status.js';

export function conditionWatchJob(deps: {
  config: Config;
  db: DbHandle;
  notifier: Notifier;
  server: string;
  everyMs?: number;
}): JobDefinition {
  const { config, db, notifier, server } = deps;
  return {
    name: 'condition-watch',
    description: 'notify when disk space is low or clients report a spike of install failures',
    trigger: { kind: 'interval', everyMs: deps.everyMs ?? 15 * 60_000 },
    singleRunner: false,
    run: async () => {
      const h = config.health;
      for (const [what, path] of [
        ['content', config.content.dir],
        ['data', config.server.dataDir],
      ] as const) {
        const d = await diskUsage(path);
        if (d.freePercent < h.diskWarningPercent)
          notifier.notify(
            diskLowNotification(
              server,
              what,
              path,
              d.freePercent,
              d.freeBytes,
              d.freePercent < h.diskCriticalPercent,
            ),
            { key: what },
          );
      }
      const now = Date.now();
      const s = await createRepositories(db).opsStats.snapshot({
        activeSince: now - 3_600_000,
        failuresSince: now - 3_600_000,
      });
      if (s.recentInstallFailures >= h.installFailureSpike)
        notifier.notify(failureSpikeNotification(server, s.recentInstallFailures, h.installFailureSpike), {
          key: 'spike',
        });
    },
  };
}

/** The stale-sync job's report as a notification (the job itself only logs). */
export function notifyStale(notifier: Notifier, server: string, r: StaleSyncReport): void {
  if (!r.stale) return;
  const ageHours = r.ageMs === undefined ? null : Math.round(r.ageMs / 360_000) / 10;
  notifier.notify(staleNotification(server, ageHours, r.staleAfterMs / 3_600_000), { key: 'stale' });
}

export function summaryJob(deps: {
  config: Config;
  db: DbHandle;
  notifier: Notifier;
  server: string;
  version: string;
  databaseLocation: string;
}): JobDefinition | undefined {
  const { config } = deps;
  const period = config.notifications.summary;
  if (period === 'none') return undefined;
  const t = config.notifications.summaryTime;
  return {
    name: 'notification-summary',
    description: `send the ${period} summary`,
    trigger: { kind: 'cron', pattern: `${t.minute} ${t.hour} * * ${period === 'weekly' ? '1' : '*'}` },
    run: async () => {
      const s = await serverStatus(deps.db, config, {
        version: deps.version,
        databaseLocation: deps.databaseLocation,
      });
      const c = s.clients;
      deps.notifier.notify(
        summaryNotification(deps.server, {
          period,
          lines: [
            `Patchbay ${s.version}`,
            `Last synchronization: ${s.sync.last ? `${s.sync.last.outcome} at ${s.sync.last.finishedAt ?? s.sync.last.startedAt}` : 'none'}`,
            `Catalog: generation ${s.catalog.activeGenerationId ?? 'none'}, ${s.catalog.revisions} revisions, ${s.quarantinedRevisions} quarantined`,
            `Content: ${s.content.files} files stored, ${s.content.queuedFiles} queued, ${s.content.failedFiles} failed`,
            `Computers: ${c.computers} (${c.activeLastHour} active in the last hour); compliant ${c.compliance.compliant ?? 0}, needing updates ${c.compliance.needed ?? 0}, with failures ${c.compliance.failed ?? 0}, unknown ${c.compliance.unknown ?? 0}`,
            `Disk: content ${s.disk.content.freePercent}% free, data ${s.disk.data.freePercent}% free`,
          ],
          warnings: s.warnings.map((w) => `${w.name}: ${w.message}`),
          detail: { status: s },
        }),
      );
    },
  };
}
