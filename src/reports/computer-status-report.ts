import {
  compliance,
  groupScope,
  limitOf,
  stateCells,
  stateColumns,
  type ReportClock,
} from './report-filters.js';
import type { ReportStores } from './report-ports.js';
import { col, type ReportRow, type ReportTable } from './report-table.js';

export interface GroupFilter {
  readonly group?: string;
  readonly limit?: number;
}

/** Computer status: per computer, its non-declined updates per state and its compliance. */
export async function computerStatusReport(
  stores: ReportStores,
  filter: GroupFilter,
  clock: ReportClock,
): Promise<ReportTable> {
  const limit = limitOf(filter.limit);
  const groupIds = await groupScope(stores.reportQueries, filter.group);
  const rows = await stores.reportQueries.computerStateCounts({ groupIds, limit: limit + 1 });
  const out: ReportRow[] = rows.slice(0, limit).map((r) => ({
    computerId: r.computerId,
    name: r.name,
    ipAddress: r.ipAddress,
    os: r.os,
    // Rolled-up computers (reporting roll-up) name the downstream server they talk to; ours are empty.
    server: r.parentServerId,
    lastSync: r.lastSyncMs,
    lastReport: r.lastReportMs,
    ...stateCells(r),
    compliance: compliance(r),
  }));
  return {
    name: 'computers',
    title: 'Computer status',
    generatedAt: clock.now(),
    columns: [
      col('computerId', 'Computer id'),
      col('name', 'Name'),
      col('ipAddress', 'IP address'),
      col('os', 'Operating system'),
      col('server', 'Downstream server'),
      col('lastSync', 'Last sync', 'time'),
      col('lastReport', 'Last report', 'time'),
      ...stateColumns,
      col('compliance', 'Compliance', 'percent'),
    ],
    rows: out,
    truncated: rows.length > limit,
  };
}
