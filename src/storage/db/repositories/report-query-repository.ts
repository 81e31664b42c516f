import { sql, type ExpressionBuilder } from 'kysely';
import { neededUpdateStates, updateState } from '../../../domain/index.js';
import type { DialectName } from '../dialect.js';
import { publicViewsDb, viewTimeToMs, type PublicViewsDatabase } from '../public-views.js';
import { chunkRows, type Executor } from '../transaction.js';

/**
 * What the admin reports read (src/reports): per-state counts over the WSUS-compatible views
 * (docs/public-views.md), one query text for SQLite and PostgreSQL. State codes are the domain's
 * `updateState` (0 unknown = no status ... 6 installed pending reboot); "needed" is `neededUpdateStates`.
 */

/** Computers per state, summed over the rows of a report line. */
export interface StateCountsRow {
  readonly installed: number;
  readonly needed: number;
  readonly failed: number;
  readonly notApplicable: number;
  readonly noStatus: number;
}

export interface UpdateStateCountsRow extends StateCountsRow {
  readonly updateId: string;
  readonly kb: string | null;
  readonly title: string | null;
  readonly severity: string | null;
  readonly classification: string | null;
  readonly isDeclined: boolean;
  readonly createdMs: number | null;
}

export interface ComputerStateCountsRow extends StateCountsRow {
  readonly computerId: string;
  readonly name: string | null;
  readonly ipAddress: string | null;
  readonly os: string | null;
  /** The downstream server a rolled-up computer talks to; null for our own clients. */
  readonly parentServerId: string | null;
  readonly lastSyncMs: number | null;
  readonly lastReportMs: number | null;
}

export interface SeverityStateCountsRow extends StateCountsRow {
  /** null: the updates without an MSRC severity. */
  readonly severity: string | null;
  readonly updates: number;
}

export interface ReportGroupRow {
  readonly groupId: string;
  readonly parentGroupId: string | null;
  readonly name: string;
}

/** Which updates a query keeps by approval; "approved" = some group has an Install or Uninstall approval. */
export type ReportApprovalFilter = 'any' | 'any-except-declined' | 'approved' | 'unapproved' | 'declined';

export interface UpdateStateCountsQuery {
  /** Count only the computers that are members of these groups; undefined: every computer. */
  readonly groupIds?: readonly string[] | undefined;
  /** Lower-case classification id or title. */
  readonly classification?: string | undefined;
  /** Lower-case product id or title (an update in that product category). */
  readonly product?: string | undefined;
  /** Lower-case MSRC severity; `unspecified`: updates without one. */
  readonly severity?: string | undefined;
  /** Only these updates (an empty list keeps none). */
  readonly updateIds?: readonly string[] | undefined;
  readonly approval: ReportApprovalFilter;
  readonly limit: number;
}

type Eb = ExpressionBuilder<PublicViewsDatabase, 'vupdateinstallationinfo'>;

/** Per-state sums over `vupdateinstallationinfo as i`. */
function stateSums(eb: Eb) {
  const sum = (cond: ReturnType<typeof sql<number>>) =>
    eb.fn.sum<number>(sql<number>`case when ${cond} then 1 else 0 end`);
  return [
    sum(sql`i.state = ${sql.lit(updateState.installed)}`).as('installed'),
    sum(sql`i.state in (${sql.join(neededUpdateStates.map((s) => sql.lit(s)))})`).as('needed'),
    sum(sql`i.state = ${sql.lit(updateState.failed)}`).as('failed'),
    sum(sql`i.state = ${sql.lit(updateState.notApplicable)}`).as('not_applicable'),
    sum(sql`i.state = ${sql.lit(updateState.unknown)}`).as('no_status'),
  ] as const;
}

/** Sums come back as numbers, numeric strings (PostgreSQL bigint) or null (no joined status row). */
const counts = (r: {
  installed: unknown;
  needed: unknown;
  failed: unknown;
  not_applicable: unknown;
  no_status: unknown;
}): StateCountsRow => ({
  installed: Number(r.installed ?? 0),
  needed: Number(r.needed ?? 0),
  failed: Number(r.failed ?? 0),
  notApplicable: Number(r.not_applicable ?? 0),
  noStatus: Number(r.no_status ?? 0),
});

export class ReportQueryRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  /** Every classification or product title (for did-you-mean on a filter that names nothing). */
  async categoryTitles(kind: 'classification' | 'product'): Promise<string[]> {
    const view = kind === 'classification' ? 'vclassification' : 'vcategory';
    // Aliased: SQLite names an unaliased view column as declared (DefaultTitle).
    const rows = await this.views().selectFrom(view).select('defaulttitle as title').execute();
    return rows.map((r) => r.title).filter((t): t is string => t !== null);
  }

  /** Every computer group, by name. */
  async groups(): Promise<ReportGroupRow[]> {
    const rows = await this.views()
      .selectFrom('vcomputertargetgroup')
      .select(['computertargetgroupid as id', 'parentgroupid as parent', 'name as group_name'])
      .orderBy('group_name')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ groupId: r.id, parentGroupId: r.parent, name: r.group_name }));
  }

  /** Every (computer, group) membership pair. */
  async memberships(): Promise<{ computerId: string; groupId: string }[]> {
    const rows = await this.views()
      .selectFrom('vcomputergroupmembership')
      .select(['computertargetid as computer', 'computertargetgroupid as grp'])
      .execute();
    return rows.map((r) => ({ computerId: r.computer, groupId: r.grp }));
  }

  /** Id, title and KB number of every listed update (text filters match them in JavaScript). */
  async updateTitles(): Promise<{ updateId: string; title: string | null; kb: string | null }[]> {
    const rows = await this.views()
      .selectFrom('vupdate')
      .select(['updateid as update_id', 'defaulttitle as title', 'knowledgebasearticle as kb'])
      .execute();
    return rows.map((r) => ({ updateId: r.update_id, title: r.title, kb: r.kb }));
  }

  /** One row per update with its computers per state, newest first (creation date, then id). */
  async updateStateCounts(f: UpdateStateCountsQuery): Promise<UpdateStateCountsRow[]> {
    const views = this.views();
    const scope = f.groupIds;
    let q = views
      .selectFrom('vupdate as u')
      .leftJoin('vclassification as cl', 'cl.classificationid', 'u.classificationid')
      .leftJoin('vupdateinstallationinfo as i', (j) => {
        const on = j.onRef('i.updateid', '=', 'u.updateid');
        return scope === undefined ? on : on.on('i.computertargetid', 'in', this.membersOf(scope));
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
    const { classification, product, severity, updateIds } = f;
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
    if (updateIds !== undefined)
      q = updateIds.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('u.updateid', 'in', updateIds);
    const approved = views
      .selectFrom('vupdateapproval as a')
      .select('a.updateid')
      .where(sql.ref('a.updateid'), '=', sql.ref('u.updateid'))
      .where('a.action', 'in', ['Install', 'Uninstall']);
    if (f.approval === 'any-except-declined') q = q.where('u.isdeclined', '=', 0);
    else if (f.approval === 'declined') q = q.where('u.isdeclined', '=', 1);
    else if (f.approval === 'approved')
      q = q.where('u.isdeclined', '=', 0).where((eb) => eb.exists(approved));
    else if (f.approval === 'unapproved')
      q = q.where('u.isdeclined', '=', 0).where((eb) => eb.not(eb.exists(approved)));

    const rows = await q.orderBy('u.creationdate', 'desc').orderBy('u.updateid').limit(f.limit).execute();
    return rows.map((r) => ({
      updateId: r.update_id,
      kb: r.kb,
      title: r.title,
      severity: r.severity,
      classification: r.classification,
      isDeclined: r.is_declined === 1,
      createdMs: viewTimeToMs(r.created),
      ...counts(r),
    }));
  }

  /** One row per computer with its non-declined updates per state, by name then id. */
  async computerStateCounts(f: {
    readonly groupIds?: readonly string[] | undefined;
    readonly limit: number;
  }): Promise<ComputerStateCountsRow[]> {
    let q = this.views()
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
        'c.parentserverid as parent_server',
        'c.lastsynctime as last_sync',
        'c.lastreportedstatustime as last_report',
        's.installed',
        's.needed',
        's.failed',
        's.not_applicable',
        's.no_status',
      ]);
    if (f.groupIds !== undefined) q = q.where('c.computertargetid', 'in', this.membersOf(f.groupIds));
    const rows = await q.orderBy('c.name').orderBy('c.computertargetid').limit(f.limit).execute();
    return rows.map((r) => ({
      computerId: r.computer_id,
      name: r.name,
      ipAddress: r.ip,
      os: r.os,
      parentServerId: r.parent_server,
      lastSyncMs: viewTimeToMs(r.last_sync),
      lastReportMs: viewTimeToMs(r.last_report),
      ...counts(r),
    }));
  }

  /** One row per MSRC severity of the non-declined updates: how many updates, computers per state. */
  async severityStateCounts(
    f: { readonly groupIds?: readonly string[] | undefined } = {},
  ): Promise<SeverityStateCountsRow[]> {
    const scope = f.groupIds;
    const rows = await this.views()
      .selectFrom('vupdate as u')
      .leftJoin('vupdateinstallationinfo as i', (j) => {
        const on = j.onRef('i.updateid', '=', 'u.updateid');
        return scope === undefined ? on : on.on('i.computertargetid', 'in', this.membersOf(scope));
      })
      .where('u.isdeclined', '=', 0)
      .select((eb) => [
        'u.msrcseverity as severity',
        eb.fn.count<number>('u.updateid').distinct().as('updates'),
        ...stateSums(eb as unknown as Eb),
      ])
      .groupBy('u.msrcseverity')
      .execute();
    return rows.map((r) => ({ severity: r.severity, updates: Number(r.updates), ...counts(r) }));
  }

  /** Per computer that has a status for a non-declined update: its updates per state. */
  async stateCountsPerComputer(): Promise<(StateCountsRow & { computerId: string })[]> {
    const rows = await this.views()
      .selectFrom('vupdateinstallationinfo as i')
      .innerJoin('vupdate as u', 'u.updateid', 'i.updateid')
      .where('u.isdeclined', '=', 0)
      .select((e) => ['i.computertargetid as computer_id', ...stateSums(e as unknown as Eb)])
      .groupBy('i.computertargetid')
      .execute();
    return rows.map((r) => ({ computerId: r.computer_id, ...counts(r) }));
  }

  /** The ones among `updateIds` that some group has an install approval for (declined or not). */
  async installApprovedAmong(updateIds: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const chunk of chunkRows(updateIds, 1, 4000))
      for (const r of await this.db
        .selectFrom('approvals')
        .select('update_id')
        .distinct()
        .where('action', '=', 'install')
        .where('update_id', 'in', chunk)
        .execute())
        out.push(r.update_id);
    return out;
  }

  /** The computers of the groups, as a subquery. */
  private membersOf(groupIds: readonly string[]) {
    return this.views()
      .selectFrom('vcomputergroupmembership')
      .select('computertargetid')
      .where('computertargetgroupid', 'in', groupIds);
  }

  private views() {
    return publicViewsDb({ db: this.db, dialect: this.dialect });
  }
}
