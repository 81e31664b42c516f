import type { JobDefinition } from '../jobs/index.js';
import type { CleanupService } from './cleanup-service.js';

/**
 * `[maintenance] cleanup_time` / `cleanups_per_day` as a job of `serve`: once per cluster (the scheduler's job
 * lease, then the cleanup's own leases), logged with the totals of each step. Not registered when
 * cleanups_per_day is 0.
 */
export function cleanupJob(deps: {
  service: CleanupService;
  firstTime: string | { hour: number; minute: number };
  perDay: number;
}): JobDefinition {
  return {
    name: 'cleanup',
    description: 'server cleanup: obsolete revisions, declines, unneeded files, silent computers, old events',
    trigger: { kind: 'daily', firstTime: deps.firstTime, perDay: deps.perDay, jitterMs: 15 * 60_000 },
    leaseTtlMs: 30 * 60_000,
    run: async ({ signal, logger, nodeId }) => {
      const r = await deps.service.run({ signal, nodeId }, { via: 'system', name: 'schedule' });
      logger.info(
        {
          ms: r.ms,
          rows: r.total.rows,
          files: r.total.files,
          bytes: r.total.bytes,
          steps: Object.fromEntries(
            r.steps.map((s) => [s.step, { rows: s.rows, files: s.files, bytes: s.bytes, ms: s.ms }]),
          ),
        },
        'scheduled cleanup finished',
      );
    },
  };
}
