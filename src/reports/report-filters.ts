import { parseGuid } from '../domain/index.js';
import { AppError } from '../errors.js';
import { unknownNameError } from '../fleet/index.js';
import { col, percent } from './report-table.js';
import type { ReportQueries, StateCounts } from './report-ports.js';

/**
 * What the reports share: their input checks, the group scope and the compliance figure.
 * State codes: 0 unknown/no status, 1 not applicable, 2 not installed, 3 downloaded, 4 installed, 5 failed,
 * 6 installed pending reboot; "needed" = 2, 3 or 6. Declined updates are left out of status counts and
 * compliance (they are not expected to be installed), and listed only when asked for.
 */

/** When a report builds its table (`generatedAt`). */
export interface ReportClock {
  readonly now: () => number;
}

const defaultLimit = 10_000;
const maxLimit = 1_000_000;
const maxFilterLength = 200;
export const severityOrder = ['Critical', 'Important', 'Moderate', 'Low', 'Unspecified'];

export function limitOf(limit: number | undefined): number {
  if (limit === undefined) return defaultLimit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxLimit)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `limit must be 1..${maxLimit}, got ${limit}`);
  return limit;
}

export function textFilter(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === '' || t.length > maxFilterLength)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `${name} must be 1..${maxFilterLength} characters`);
  return t;
}

/** A classification, product or severity that names nothing would report nothing: refused with a suggestion. */
export async function checkNames(
  queries: ReportQueries,
  classification: string | undefined,
  product: string | undefined,
  severity: string | undefined,
): Promise<void> {
  if (severity !== undefined && !severityOrder.some((s) => s.toLowerCase() === severity.toLowerCase()))
    throw unknownNameError('severity', 'severity', severity, severityOrder);
  for (const [kind, value] of [
    ['classification', classification],
    ['product', product],
  ] as const) {
    if (value === undefined || parseGuid(value) !== undefined) continue;
    const titles = await queries.categoryTitles(kind);
    if (!titles.some((t) => t.toLowerCase() === value.toLowerCase()))
      throw unknownNameError(kind, kind, value, titles);
  }
}

/** Group id or name -> the ids of that group and its subgroups; undefined when no group was asked for. */
export async function groupScope(
  queries: ReportQueries,
  group: string | undefined,
): Promise<string[] | undefined> {
  const wanted = textFilter('group', group);
  if (wanted === undefined) return undefined;
  const groups = await queries.groups();
  const lower = wanted.toLowerCase();
  const root = groups.find((g) => g.groupId === lower) ?? groups.find((g) => g.name.toLowerCase() === lower);
  // A mistyped --group would report on nobody: bad input with a did-you-mean, like every group parameter.
  if (root === undefined)
    throw unknownNameError(
      'group',
      'group',
      wanted,
      groups.map((g) => g.name),
    );
  const scope = new Set([root.groupId]);
  // Breadth-first over the (cycle-free, bounded) tree; a set guards against corrupt data.
  for (let grew = true; grew;) {
    grew = false;
    for (const g of groups)
      if (g.parentGroupId !== null && scope.has(g.parentGroupId) && !scope.has(g.groupId)) {
        scope.add(g.groupId);
        grew = true;
      }
  }
  return [...scope];
}

/** Compliant = installed or not applicable, among the computers that reported (unknown is left out). */
export const compliance = (c: StateCounts) =>
  percent(c.installed + c.notApplicable, c.installed + c.notApplicable + c.needed + c.failed);

/** The per-state columns every status report shows, in order. */
export const stateCells = (c: StateCounts) => ({
  installed: c.installed,
  needed: c.needed,
  failed: c.failed,
  notApplicable: c.notApplicable,
  noStatus: c.noStatus,
});

export const stateColumns = [
  col('installed', 'Installed', 'int'),
  col('needed', 'Needed', 'int'),
  col('failed', 'Failed', 'int'),
  col('notApplicable', 'Not applicable', 'int'),
  col('noStatus', 'No status', 'int'),
] as const;
