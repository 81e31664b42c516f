import {
  compliance,
  groupScope,
  severityOrder,
  stateCells,
  stateColumns,
  type ReportClock,
} from './report-filters.js';
import type { ReportStores } from './report-ports.js';
import { col, type ReportRow, type ReportTable } from './report-table.js';

/** Compliance per MSRC severity: the known severities in their order, then any other, by name. */
export async function complianceBySeverityReport(
  stores: ReportStores,
  filter: { readonly group?: string },
  clock: ReportClock,
): Promise<ReportTable> {
  const groupIds = await groupScope(stores.reportQueries, filter.group);
  const rows = await stores.reportQueries.severityStateCounts({ groupIds });
  const bySeverity = new Map(rows.map((r) => [r.severity ?? 'Unspecified', r]));
  const known = [
    ...severityOrder,
    ...[...bySeverity.keys()].filter((s) => !severityOrder.includes(s)).sort(),
  ];
  const out: ReportRow[] = known
    .filter((s) => bySeverity.has(s))
    .map((s) => {
      const r = bySeverity.get(s)!;
      return { severity: s, updates: r.updates, ...stateCells(r), compliance: compliance(r) };
    });
  return {
    name: 'compliance-severity',
    title: 'Compliance per MSRC severity',
    generatedAt: clock.now(),
    columns: [
      col('severity', 'Severity'),
      col('updates', 'Updates', 'int'),
      ...stateColumns,
      col('compliance', 'Compliance', 'percent'),
    ],
    rows: out,
    truncated: false,
  };
}
