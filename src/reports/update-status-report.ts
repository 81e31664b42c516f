import type { ContentMode } from '../domain/index.js';
import { AppError } from '../errors.js';
import {
  checkNames,
  groupScope,
  limitOf,
  stateCells,
  stateColumns,
  textFilter,
  type ReportClock,
} from './report-filters.js';
import type { ApprovalStateFilter, ReportStores } from './report-ports.js';
import { col, type ReportRow, type ReportTable } from './report-table.js';

export interface UpdateReportFilter {
  /** Classification id or title (case-insensitive), e.g. `Security Updates`. */
  readonly classification?: string;
  /** Product id or title (case-insensitive), e.g. `Windows 11`. */
  readonly product?: string;
  /** MSRC severity (Critical, Important, Moderate, Low) or `Unspecified`. */
  readonly severity?: string;
  /** Group id or name: counts cover the computers of the group and its subgroups. */
  readonly group?: string;
  /** Default `any-except-declined` (the WSUS console default). */
  readonly approval?: ApprovalStateFilter;
  /** Text in the title, or a KB number (`KB5040001` / `5040001`). */
  readonly text?: string;
  /** Row limit (default 10,000; at most 1,000,000). */
  readonly limit?: number;
}

/** Bound on the ids a text filter may pass to the main query (both databases' bind-parameter limits). */
const maxTextMatches = 30_000;
const approvalStates: readonly ApprovalStateFilter[] = [
  'any',
  'any-except-declined',
  'approved',
  'unapproved',
  'declined',
];

/** Update status: per update, its computers per state (in the group when one is named). */
export async function updateStatusReport(
  stores: ReportStores,
  filter: UpdateReportFilter,
  /** In `approved`/`all` content modes the report says whether approved updates' files are stored. */
  options: ReportClock & {
    readonly contentMode?: ContentMode | undefined;
    /** `content.express`: which files an approved update waits for (default false). */
    readonly express?: boolean | undefined;
  },
): Promise<ReportTable> {
  const queries = stores.reportQueries;
  const limit = limitOf(filter.limit);
  const approval = filter.approval ?? 'any-except-declined';
  if (!approvalStates.includes(approval))
    throw new AppError('PB_ERR_INVALID_PARAMETER', `unknown approval state ${JSON.stringify(approval)}`);
  const classification = textFilter('classification', filter.classification)?.toLowerCase();
  const product = textFilter('product', filter.product)?.toLowerCase();
  const severity = textFilter('severity', filter.severity)?.toLowerCase();
  const text = textFilter('text', filter.text);
  await checkNames(queries, filter.classification?.trim(), filter.product?.trim(), filter.severity?.trim());
  const groupIds = await groupScope(queries, filter.group);
  const updateIds = text === undefined ? undefined : await matchText(stores, text);

  const rows = await queries.updateStateCounts({
    groupIds,
    classification,
    product,
    severity,
    updateIds,
    approval,
    limit: limit + 1,
  });
  const out: ReportRow[] = rows.slice(0, limit).map((r) => ({
    updateId: r.updateId,
    kb: r.kb === null ? null : `KB${r.kb}`,
    title: r.title,
    classification: r.classification,
    severity: r.severity,
    declined: r.isDeclined ? 'yes' : 'no',
    created: r.createdMs,
    ...stateCells(r),
  }));
  const withContent = options.contentMode !== undefined && options.contentMode !== 'none';
  const content = withContent
    ? await contentOfApproved(
        stores,
        out.map((r) => String(r.updateId)),
        options.express ?? false,
      )
    : undefined;
  return {
    name: 'updates',
    title: 'Update status',
    generatedAt: options.now(),
    columns: [
      col('updateId', 'Update id'),
      col('kb', 'KB'),
      col('title', 'Title'),
      col('classification', 'Classification'),
      col('severity', 'Severity'),
      col('declined', 'Declined'),
      col('created', 'Released', 'time'),
      ...stateColumns,
      ...(content !== undefined ? [col('content', 'Content')] : []),
    ],
    rows:
      content === undefined
        ? out
        : out.map((r) => ({ ...r, content: content.get(String(r.updateId)) ?? '' })),
    truncated: rows.length > limit,
  };
}

/**
 * The updates whose title contains `text` or whose KB number it is. Matched in JavaScript: SQLite's lower()
 * folds ASCII only, and "Übersicht" must match "übersicht" on both databases. Titles are small; the matching
 * ids then narrow the main query.
 */
async function matchText(stores: ReportStores, text: string): Promise<string[]> {
  const kb = /^(?:kb)?(\d{1,12})$/i.exec(text)?.[1];
  const needle = text.toLowerCase();
  const matched = (await stores.reportQueries.updateTitles())
    .filter((r) => (kb !== undefined && r.kb === kb) || (r.title ?? '').toLowerCase().includes(needle))
    .map((r) => r.updateId);
  if (matched.length > maxTextMatches)
    throw new AppError(
      'PB_ERR_INVALID_PARAMETER',
      `text ${JSON.stringify(text)} matches ${matched.length} updates (more than ${maxTextMatches}): narrow it`,
    );
  return matched;
}

/**
 * What clients get of approved updates (content modes approved/all): `stored`, `approved, waiting for content`
 * or `content failed: <reason>`; updates not approved for installation are absent.
 */
async function contentOfApproved(
  stores: ReportStores,
  updateIds: readonly string[],
  express: boolean,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const active = await stores.generations.getActive();
  if (active === undefined || updateIds.length === 0) return out;
  const approved = await stores.reportQueries.installApprovedAmong(updateIds);
  const gaps = await stores.files.contentGaps(active.generationId, approved, { express });
  for (const u of approved) {
    const g = gaps.get(u);
    out.set(
      u,
      g === undefined
        ? 'stored'
        : g.state === 'waiting'
          ? 'approved, waiting for content'
          : `content failed: ${g.reason ?? 'unknown reason'}`,
    );
  }
  return out;
}
