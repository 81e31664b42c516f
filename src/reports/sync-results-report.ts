import { AppError } from '../errors.js';
import type { ReportClock } from './report-filters.js';
import type { ReportStores } from './report-ports.js';
import { col, type ReportRow, type ReportTable } from './report-table.js';

const defaultRuns = 50;
const maxRuns = 10_000;

/** Synchronization results: the most recent sync runs first, with their outcome, error and counters. */
export async function syncResultsReport(
  stores: ReportStores,
  filter: { readonly limit?: number },
  clock: ReportClock,
): Promise<ReportTable> {
  const limit = filter.limit ?? defaultRuns;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxRuns)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `limit must be 1..${maxRuns}, got ${limit}`);
  const runs = await stores.syncRuns.list(limit);
  const out: ReportRow[] = runs.map((r) => ({
    syncRunId: r.syncRunId,
    kind: r.kind,
    trigger: r.triggerSource,
    node: r.nodeId,
    started: r.startedAt,
    finished: r.finishedAt,
    durationSeconds: r.finishedAt === null ? null : Math.round((r.finishedAt - r.startedAt) / 100) / 10,
    outcome: r.outcome,
    errorCode: r.error?.code ?? null,
    errorMessage: r.error?.message ?? null,
    counters:
      Object.keys(r.counters).length === 0
        ? null
        : Object.entries(r.counters)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
  }));
  return {
    name: 'sync',
    title: 'Synchronization results',
    generatedAt: clock.now(),
    columns: [
      col('syncRunId', 'Run', 'int'),
      col('kind', 'Kind'),
      col('trigger', 'Trigger'),
      col('node', 'Node'),
      col('started', 'Started', 'time'),
      col('finished', 'Finished', 'time'),
      col('durationSeconds', 'Seconds', 'int'),
      col('outcome', 'Outcome'),
      col('errorCode', 'Error'),
      col('errorMessage', 'Message'),
      col('counters', 'Counters'),
    ],
    rows: out,
    truncated: false,
  };
}
