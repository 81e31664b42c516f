import type { Logger } from 'pino';
import { isAppError } from '../errors.js';
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

/**
 * At `serve` start, before serving: the deletions an interrupted cleanup left (CleanupService.finishInterrupted),
 * logged. A busy lease means another node is cleaning and finishes them itself; any other failure is logged and
 * serving goes on (the next cleanup finishes the journal), since the journal never leaves a served row without
 * its object.
 */
export async function finishInterruptedCleanup(service: CleanupService, logger: Logger): Promise<void> {
  try {
    const r = await service.finishInterrupted();
    if (r.files > 0 || r.bytes > 0)
      logger.warn(
        { files: r.files, bytes: r.bytes },
        'finished an interrupted cleanup: deleted the content objects it had already removed from the database',
      );
  } catch (e) {
    const code = isAppError(e) ? e.code : 'PB_ERR_INTERNAL';
    if (code === 'PB_ERR_SYNC_BUSY')
      logger.info({ code }, 'another node holds the cleanup lease: it finishes any interrupted cleanup');
    else logger.error({ code, err: e }, 'could not finish an interrupted cleanup; the next cleanup retries');
  }
}
