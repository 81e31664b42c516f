import { compliance, type ReportClock } from './report-filters.js';
import type { ReportStores, StateCounts } from './report-ports.js';
import { col, type ReportRow, type ReportTable } from './report-table.js';

const none: StateCounts = { installed: 0, needed: 0, failed: 0, notApplicable: 0, noStatus: 0 };

/**
 * Compliance per computer group: per computer first (one row each), then rolled up per group in memory over
 * the membership pairs. A computer counts in its groups and in their ancestors (a group's subtree), once per
 * group.
 */
export async function complianceByGroupReport(
  stores: ReportStores,
  clock: ReportClock,
): Promise<ReportTable> {
  const queries = stores.reportQueries;
  const byComputer = new Map((await queries.stateCountsPerComputer()).map((r) => [r.computerId, r]));
  const groups = await queries.groups();
  const members = await queries.memberships();
  const parent = new Map(groups.map((g) => [g.groupId, g.parentGroupId]));
  const inGroup = new Map<string, Set<string>>(groups.map((g) => [g.groupId, new Set<string>()]));
  for (const m of members) {
    const seen = new Set<string>();
    for (let g: string | null | undefined = m.groupId; g != null && !seen.has(g); g = parent.get(g)) {
      seen.add(g);
      inGroup.get(g)?.add(m.computerId);
    }
  }
  const out: ReportRow[] = groups.map((g) => {
    const total: Record<keyof StateCounts, number> = { ...none };
    let compliant = 0;
    let needing = 0;
    let failing = 0;
    const computers = inGroup.get(g.groupId) ?? new Set<string>();
    for (const id of computers) {
      const c = byComputer.get(id) ?? none;
      total.installed += c.installed;
      total.needed += c.needed;
      total.failed += c.failed;
      total.notApplicable += c.notApplicable;
      total.noStatus += c.noStatus;
      if (c.needed > 0) needing++;
      if (c.failed > 0) failing++;
      if (c.needed === 0 && c.failed === 0 && c.installed + c.notApplicable > 0) compliant++;
    }
    return {
      groupId: g.groupId,
      group: g.name,
      computers: computers.size,
      compliantComputers: compliant,
      computersNeeding: needing,
      computersFailed: failing,
      installed: total.installed,
      needed: total.needed,
      failed: total.failed,
      compliance: compliance(total),
    };
  });
  return {
    name: 'compliance-group',
    title: 'Compliance per computer group',
    generatedAt: clock.now(),
    columns: [
      col('groupId', 'Group id'),
      col('group', 'Group'),
      col('computers', 'Computers', 'int'),
      col('compliantComputers', 'Compliant', 'int'),
      col('computersNeeding', 'Needing updates', 'int'),
      col('computersFailed', 'With failures', 'int'),
      col('installed', 'Installed', 'int'),
      col('needed', 'Needed', 'int'),
      col('failed', 'Failed', 'int'),
      col('compliance', 'Compliance', 'percent'),
    ],
    rows: out,
    truncated: false,
  };
}
