import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { parseGuid } from '../domain/index.js';
import { AppError } from '../errors.js';
import { unknownNameError } from '../fleet/index.js';
import {
  SyncRunRepository,
  chunkRows,
  createRepositories,
  publicViewsDb,
  viewTimeToMs,
  type DbHandle,
  type PublicViewsDatabase,
} from '../storage/index.js';
import { col, percent, type ReportRow, type ReportTable } from './report-table.js';

/**
 * Reports over the WSUS-compatible views (docs/public-views.md), one query text for SQLite and PostgreSQL.
 * State codes: 0 unknown/no status, 1 not applicable, 2 not installed, 3 downloaded, 4 installed, 5 failed,
 * 6 installed pending reboot; "needed" = 2, 3 or 6. Declined updates are left out of status counts and
 * compliance (they are not expected to be installed), and listed only when asked for.
 */

export type ApprovalStateFilter = 'any' | 'any-except-declined' | 'approved' | 'unapproved' | 'declined';

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

export interface GroupFilter {
  readonly group?: string;
  readonly limit?: number;
}

export interface ReportsService {
  updateStatus(filter?: UpdateReportFilter): Promise<ReportTable>;
  computerStatus(filter?: GroupFilter): Promise<ReportTable>;
  complianceBySeverity(filter?: { readonly group?: string }): Promise<ReportTable>;
  complianceByGroup(): Promise<ReportTable>;
  syncResults(filter?: { readonly limit?: number }): Promise<ReportTable>;
}

type Views = Kysely<PublicViewsDatabase>;
type Eb = ExpressionBuilder<PublicViewsDatabase, 'vupdateinstallationinfo'>;

const defaultLimit = 10_000;
const maxLimit = 1_000_000;
const maxFilterLength = 200;
/** Bound on the ids a text filter may pass to the main query (both databases' bind-parameter limits). */
const maxTextMatches = 30_000;
const severityOrder = ['Critical', 'Important', 'Moderate', 'Low', 'Unspecified'];
const approvalStates: readonly ApprovalStateFilter[] = [
  'any',
  'any-except-declined',
  'approved',
  'unapproved',
  'declined',
];

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return defaultLimit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxLimit)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `limit must be 1..${maxLimit}, got ${limit}`);
  return limit;
}

function textFilter(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === '' || t.length > maxFilterLength)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `${name} must be 1..${maxFilterLength} characters`);
  return t;
}

/** Per-state sums over `vupdateinstallationinfo as i`. */
function stateSums(eb: Eb) {
  const sum = (cond: ReturnType<typeof sql<number>>) =>
    eb.fn.sum<number>(sql<number>`case when ${cond} then 1 else 0 end`);
  return [
    sum(sql`i.state = 4`).as('installed'),
    sum(sql`i.state in (2, 3, 6)`).as('needed'),
    sum(sql`i.state = 5`).as('failed'),
    sum(sql`i.state = 1`).as('not_applicable'),
    sum(sql`i.state = 0`).as('no_status'),
  ] as const;
}

interface StateCounts {
  installed: number;
  needed: number;
  failed: number;
  notApplicable: number;
  noStatus: number;
}

const counts = (r: {
  installed: unknown;
  needed: unknown;
  failed: unknown;
  not_applicable: unknown;
  no_status: unknown;
}): StateCounts => ({
  installed: Number(r.installed ?? 0),
  needed: Number(r.needed ?? 0),
  failed: Number(r.failed ?? 0),
  notApplicable: Number(r.not_applicable ?? 0),
  noStatus: Number(r.no_status ?? 0),
});

/** Compliant = installed or not applicable, among the computers that reported (unknown is left out). */
const compliance = (c: StateCounts) =>
  percent(c.installed + c.notApplicable, c.installed + c.notApplicable + c.needed + c.failed);

export function createReportsService(
  handle: Pick<DbHandle, 'db' | 'dialect'>,
  options: {
    now?: () => number;
    /** `content.mode`: in `approved`/`all` the updates report says whether approved updates' files are stored. */
    contentMode?: 'approved' | 'all' | 'none';
  } = {},
): ReportsService {
  const views: Views = publicViewsDb(handle);
  const now = options.now ?? Date.now;

  /** A classification, product or severity that names nothing would report nothing: refused with a suggestion. */
  async function checkNames(
    classification: string | undefined,
    product: string | undefined,
    severity: string | undefined,
  ): Promise<void> {
    if (severity !== undefined && !severityOrder.some((s) => s.toLowerCase() === severity.toLowerCase()))
      throw unknownNameError('severity', 'severity', severity, severityOrder);
    for (const [kind, value, view] of [
      ['classification', classification, 'vclassification'],
      ['product', product, 'vcategory'],
    ] as const) {
      if (value === undefined || parseGuid(value) !== undefined) continue;
      // Aliased: SQLite names an unaliased view column as declared (DefaultTitle).
      const titles = (await views.selectFrom(view).select('defaulttitle as title').execute())
        .map((r) => r.title)
        .filter((t): t is string => t !== null);
      if (!titles.some((t) => t.toLowerCase() === value.toLowerCase()))
        throw unknownNameError(kind, kind, value, titles);
    }
  }

  /** Group id or name -> the ids of that group and its subgroups; undefined when no group was asked for. */
  async function groupScope(group: string | undefined): Promise<string[] | undefined> {
    const wanted = textFilter('group', group);
    if (wanted === undefined) return undefined;
    const groups = await views
      .selectFrom('vcomputertargetgroup')
      .select(['computertargetgroupid as id', 'parentgroupid as parent', 'name as group_name'])
      .execute();
    const lower = wanted.toLowerCase();
    const root =
      groups.find((g) => g.id === lower) ?? groups.find((g) => g.group_name.toLowerCase() === lower);
    // A mistyped --group would report on nobody: bad input with a did-you-mean, like every group parameter.
    if (root === undefined)
      throw unknownNameError(
        'group',
        'group',
        wanted,
        groups.map((g) => g.group_name),
      );
    const scope = new Set([root.id]);
    // Breadth-first over the (cycle-free, bounded) tree; a set guards against corrupt data.
    for (let grew = true; grew;) {
      grew = false;
      for (const g of groups)
        if (g.parent !== null && scope.has(g.parent) && !scope.has(g.id)) {
          scope.add(g.id);
          grew = true;
        }
    }
    return [...scope];
  }

  /** Computers of the scope as a subquery (undefined = every computer). */
  const membersOf = (scope: readonly string[]) =>
    views
      .selectFrom('vcomputergroupmembership')
      .select('computertargetid')
      .where('computertargetgroupid', 'in', scope);

  return {
    async updateStatus(filter = {}) {
      const limit = limitOf(filter.limit);
      const approval = filter.approval ?? 'any-except-declined';
      if (!approvalStates.includes(approval))
        throw new AppError('PB_ERR_INVALID_PARAMETER', `unknown approval state ${JSON.stringify(approval)}`);
      const classification = textFilter('classification', filter.classification)?.toLowerCase();
      const product = textFilter('product', filter.product)?.toLowerCase();
      const severity = textFilter('severity', filter.severity)?.toLowerCase();
      const text = textFilter('text', filter.text);
      await checkNames(filter.classification?.trim(), filter.product?.trim(), filter.severity?.trim());
      const scope = await groupScope(filter.group);

      let q = views
        .selectFrom('vupdate as u')
        .leftJoin('vclassification as cl', 'cl.classificationid', 'u.classificationid')
        .leftJoin('vupdateinstallationinfo as i', (j) => {
          const on = j.onRef('i.updateid', '=', 'u.updateid');
          return scope === undefined ? on : on.on('i.computertargetid', 'in', membersOf(scope));
        })
        .select((eb) => [
          'u.updateid as update_id',
          'u.knowledgebasearticle as kb',
          'u.defaulttitle as title',
          'u.msrcseverity as severity',
          'cl.defaulttitle as classification',
          'u.isdeclined as is_declined',
          'u.creationdate as created',
          ...stateSums(eb as unknown as Eb),
        ])
        .groupBy([
          'u.updateid',
          'u.knowledgebasearticle',
          'u.defaulttitle',
          'u.msrcseverity',
          'cl.defaulttitle',
          'u.isdeclined',
          'u.creationdate',
        ]);
      if (classification !== undefined)
        q = q.where((eb) =>
          eb.or([
            eb('u.classificationid', '=', classification),
            eb(eb.fn('lower', ['cl.defaulttitle']), '=', classification),
          ]),
        );
      if (product !== undefined)
        q = q.where((eb) =>
          eb.exists(
            eb
              .selectFrom('vupdateincategory as uic')
              .innerJoin('vcategory as c', 'c.categoryid', 'uic.categoryid')
              .select('uic.categoryid')
              .whereRef('uic.updateid', '=', 'u.updateid')
              .where((w) =>
                w.or([w('c.categoryid', '=', product), w(w.fn('lower', ['c.defaulttitle']), '=', product)]),
              ),
          ),
        );
      if (severity !== undefined)
        q =
          severity === 'unspecified'
            ? q.where('u.msrcseverity', 'is', null)
            : q.where((eb) => eb(eb.fn('lower', ['u.msrcseverity']), '=', severity));
      if (text !== undefined) {
        // Matched in JavaScript: SQLite's lower() folds ASCII only, and "Übersicht" must match "übersicht" on
        // both databases. Titles are small; the matching ids then narrow the main query.
        const kb = /^(?:kb)?(\d{1,12})$/i.exec(text)?.[1];
        const needle = text.toLowerCase();
        const titles = await views
          .selectFrom('vupdate')
          .select(['updateid as update_id', 'defaulttitle as title', 'knowledgebasearticle as kb'])
          .execute();
        const matched = titles
          .filter((r) => (kb !== undefined && r.kb === kb) || (r.title ?? '').toLowerCase().includes(needle))
          .map((r) => r.update_id);
        if (matched.length > maxTextMatches)
          throw new AppError(
            'PB_ERR_INVALID_PARAMETER',
            `text ${JSON.stringify(text)} matches ${matched.length} updates (more than ${maxTextMatches}): narrow it`,
          );
        q = matched.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('u.updateid', 'in', matched);
      }
      // An update counts as approved when some group has an Install or Uninstall approval for it.
      const approved = views
        .selectFrom('vupdateapproval as a')
        .select('a.updateid')
        .where(sql.ref('a.updateid'), '=', sql.ref('u.updateid'))
        .where('a.action', 'in', ['Install', 'Uninstall']);
      if (approval === 'any-except-declined') q = q.where('u.isdeclined', '=', 0);
      else if (approval === 'declined') q = q.where('u.isdeclined', '=', 1);
      else if (approval === 'approved')
        q = q.where('u.isdeclined', '=', 0).where((eb) => eb.exists(approved));
      else if (approval === 'unapproved')
        q = q.where('u.isdeclined', '=', 0).where((eb) => eb.not(eb.exists(approved)));

      const rows = await q
        .orderBy('u.creationdate', 'desc')
        .orderBy('u.updateid')
        .limit(limit + 1)
        .execute();
      const out: ReportRow[] = rows.slice(0, limit).map((r) => {
        const c = counts(r);
        return {
          updateId: r.update_id,
          kb: r.kb === null ? null : `KB${r.kb}`,
          title: r.title,
          classification: r.classification,
          severity: r.severity,
          declined: r.is_declined === 1 ? 'yes' : 'no',
          created: viewTimeToMs(r.created),
          installed: c.installed,
          needed: c.needed,
          failed: c.failed,
          notApplicable: c.notApplicable,
          noStatus: c.noStatus,
        };
      });
      const withContent = options.contentMode !== undefined && options.contentMode !== 'none';
      const content = withContent
        ? await contentOfApproved(
            handle,
            out.map((r) => String(r.updateId)),
          )
        : undefined;
      return {
        name: 'updates',
        title: 'Update status',
        generatedAt: now(),
        columns: [
          col('updateId', 'Update id'),
          col('kb', 'KB'),
          col('title', 'Title'),
          col('classification', 'Classification'),
          col('severity', 'Severity'),
          col('declined', 'Declined'),
          col('created', 'Released', 'time'),
          col('installed', 'Installed', 'int'),
          col('needed', 'Needed', 'int'),
          col('failed', 'Failed', 'int'),
          col('notApplicable', 'Not applicable', 'int'),
          col('noStatus', 'No status', 'int'),
          ...(content !== undefined ? [col('content', 'Content')] : []),
        ],
        rows:
          content === undefined
            ? out
            : out.map((r) => ({ ...r, content: content.get(String(r.updateId)) ?? '' })),
        truncated: rows.length > limit,
      };
    },

    async computerStatus(filter = {}) {
      const limit = limitOf(filter.limit);
      const scope = await groupScope(filter.group);
      let q = views
        .selectFrom('vcomputertarget as c')
        .leftJoin(
          (eb) =>
            eb
              .selectFrom('vupdateinstallationinfo as i')
              .innerJoin('vupdate as u', 'u.updateid', 'i.updateid')
              .where('u.isdeclined', '=', 0)
              .select((e) => ['i.computertargetid as computer_id', ...stateSums(e as unknown as Eb)])
              .groupBy('i.computertargetid')
              .as('s'),
          (j) => j.onRef('s.computer_id', '=', 'c.computertargetid'),
        )
        .select([
          'c.computertargetid as computer_id',
          'c.name as name',
          'c.ipaddress as ip',
          'c.osdescription as os',
          'c.lastsynctime as last_sync',
          'c.lastreportedstatustime as last_report',
          's.installed',
          's.needed',
          's.failed',
          's.not_applicable',
          's.no_status',
        ]);
      if (scope !== undefined) q = q.where('c.computertargetid', 'in', membersOf(scope));
      const rows = await q
        .orderBy('c.name')
        .orderBy('c.computertargetid')
        .limit(limit + 1)
        .execute();
      const out: ReportRow[] = rows.slice(0, limit).map((r) => {
        const c = counts(r);
        return {
          computerId: r.computer_id,
          name: r.name,
          ipAddress: r.ip,
          os: r.os,
          lastSync: viewTimeToMs(r.last_sync),
          lastReport: viewTimeToMs(r.last_report),
          installed: c.installed,
          needed: c.needed,
          failed: c.failed,
          notApplicable: c.notApplicable,
          noStatus: c.noStatus,
          compliance: compliance(c),
        };
      });
      return {
        name: 'computers',
        title: 'Computer status',
        generatedAt: now(),
        columns: [
          col('computerId', 'Computer id'),
          col('name', 'Name'),
          col('ipAddress', 'IP address'),
          col('os', 'Operating system'),
          col('lastSync', 'Last sync', 'time'),
          col('lastReport', 'Last report', 'time'),
          col('installed', 'Installed', 'int'),
          col('needed', 'Needed', 'int'),
          col('failed', 'Failed', 'int'),
          col('notApplicable', 'Not applicable', 'int'),
          col('noStatus', 'No status', 'int'),
          col('compliance', 'Compliance', 'percent'),
        ],
        rows: out,
        truncated: rows.length > limit,
      };
    },

    async complianceBySeverity(filter = {}) {
      const scope = await groupScope(filter.group);
      const rows = await views
        .selectFrom('vupdate as u')
        .leftJoin('vupdateinstallationinfo as i', (j) => {
          const on = j.onRef('i.updateid', '=', 'u.updateid');
          return scope === undefined ? on : on.on('i.computertargetid', 'in', membersOf(scope));
        })
        .where('u.isdeclined', '=', 0)
        .select((eb) => [
          'u.msrcseverity as severity',
          eb.fn.count<number>('u.updateid').distinct().as('updates'),
          ...stateSums(eb as unknown as Eb),
        ])
        .groupBy('u.msrcseverity')
        .execute();
      const bySeverity = new Map(rows.map((r) => [r.severity ?? 'Unspecified', r]));
      const known = [
        ...severityOrder,
        ...[...bySeverity.keys()].filter((s) => !severityOrder.includes(s)).sort(),
      ];
      const out: ReportRow[] = known
        .filter((s) => bySeverity.has(s))
        .map((s) => {
          const r = bySeverity.get(s)!;
          const c = counts(r);
          return {
            severity: s,
            updates: Number(r.updates),
            installed: c.installed,
            needed: c.needed,
            failed: c.failed,
            notApplicable: c.notApplicable,
            noStatus: c.noStatus,
            compliance: compliance(c),
          };
        });
      return {
        name: 'compliance-severity',
        title: 'Compliance per MSRC severity',
        generatedAt: now(),
        columns: [
          col('severity', 'Severity'),
          col('updates', 'Updates', 'int'),
          col('installed', 'Installed', 'int'),
          col('needed', 'Needed', 'int'),
          col('failed', 'Failed', 'int'),
          col('notApplicable', 'Not applicable', 'int'),
          col('noStatus', 'No status', 'int'),
          col('compliance', 'Compliance', 'percent'),
        ],
        rows: out,
        truncated: false,
      };
    },

    async complianceByGroup() {
      // Per computer first (one row each), then rolled up per group in memory over the membership pairs.
      const perComputer = await views
        .selectFrom('vupdateinstallationinfo as i')
        .innerJoin('vupdate as u', 'u.updateid', 'i.updateid')
        .where('u.isdeclined', '=', 0)
        .select((e) => ['i.computertargetid as computer_id', ...stateSums(e as unknown as Eb)])
        .groupBy('i.computertargetid')
        .execute();
      const byComputer = new Map(perComputer.map((r) => [r.computer_id, counts(r)]));
      const groups = await views
        .selectFrom('vcomputertargetgroup')
        .select(['computertargetgroupid as id', 'parentgroupid as parent', 'name as group_name'])
        .orderBy('group_name')
        .execute();
      const members = await views
        .selectFrom('vcomputergroupmembership')
        .select(['computertargetid as computer', 'computertargetgroupid as grp'])
        .execute();
      const parent = new Map(groups.map((g) => [g.id, g.parent]));
      // A computer counts in its groups and in their ancestors (a group's subtree), once per group.
      const inGroup = new Map<string, Set<string>>(groups.map((g) => [g.id, new Set<string>()]));
      for (const m of members) {
        const seen = new Set<string>();
        for (let g: string | null | undefined = m.grp; g != null && !seen.has(g); g = parent.get(g)) {
          seen.add(g);
          inGroup.get(g)?.add(m.computer);
        }
      }
      const out: ReportRow[] = groups.map((g) => {
        const total: StateCounts = { installed: 0, needed: 0, failed: 0, notApplicable: 0, noStatus: 0 };
        let compliant = 0;
        let needing = 0;
        let failing = 0;
        const computers = inGroup.get(g.id) ?? new Set<string>();
        for (const id of computers) {
          const c = byComputer.get(id) ?? {
            installed: 0,
            needed: 0,
            failed: 0,
            notApplicable: 0,
            noStatus: 0,
          };
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
          groupId: g.id,
          group: g.group_name,
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
        generatedAt: now(),
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
    },

    async syncResults(filter = {}) {
      const limit = filter.limit ?? 50;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000)
        throw new AppError('PB_ERR_INVALID_PARAMETER', `limit must be 1..10000, got ${limit}`);
      const runs = await new SyncRunRepository(handle.db).list(limit);
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
        generatedAt: now(),
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
    },
  };
}

/**
 * What clients get of approved updates (content modes approved/all): `stored`, `approved, waiting for content`
 * or `content failed: <reason>`; updates not approved for installation are absent.
 */
async function contentOfApproved(
  handle: Pick<DbHandle, 'db' | 'dialect'>,
  updateIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const repos = createRepositories(handle);
  const active = await repos.generations.getActive();
  if (active === undefined || updateIds.length === 0) return out;
  const approved: string[] = [];
  for (const chunk of chunkRows(updateIds, 1, 4000))
    for (const r of await handle.db
      .selectFrom('approvals')
      .select('update_id')
      .distinct()
      .where('action', '=', 'install')
      .where('update_id', 'in', chunk)
      .execute())
      approved.push(r.update_id);
  const gaps = await repos.files.contentGaps(active.generationId, approved);
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
