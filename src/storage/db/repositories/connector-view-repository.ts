import type { DialectName } from '../dialect.js';
import { publicViewsDb, viewTimeToMs, type ViewTime } from '../public-views.js';
import type { Executor } from '../transaction.js';

export interface ViewGroup {
  readonly id: string;
  readonly name: string;
}

export interface ViewUpdate {
  readonly updateId: string;
  readonly title: string | null;
  readonly kbArticle: string | null;
  readonly securityBulletin: string | null;
  readonly msrcSeverity: string | null;
  readonly creationMs: number | null;
  /** vUpdateApproval.Action of the group; null when the group has no approval row. */
  readonly approvalAction: string | null;
}

export interface ViewComputer {
  readonly computerId: string;
  readonly name: string | null;
  readonly lastReportedMs: number | null;
}

export interface ViewStatus {
  readonly computerId: string;
  readonly updateId: string;
  readonly state: number;
}

/**
 * One page of a keyset-paginated read of the WSUS-compatible public views (docs/public-views.md): rows after
 * the cursor, in id order, at most `limit`. Declined updates are never listed.
 */
export interface ViewUpdatePage {
  readonly groupId: string;
  /** Only updates of this classification; undefined: every classification. */
  readonly classificationId?: string | undefined;
  readonly afterUpdateId: string;
  readonly limit: number;
}

export interface ViewComputerPage {
  /** Direct members of this group. */
  readonly groupId: string;
  readonly includeDownstreamServers: boolean;
  /** Only computers whose last status report is later than this (epoch ms). */
  readonly reportedAfterMs?: number | undefined;
  /** Only computers whose last status report is at or before this (epoch ms). */
  readonly reportedUpToMs?: number | undefined;
  readonly afterComputerId: string;
  readonly limit: number;
}

export interface ViewStatusPage {
  readonly computerIds: readonly string[];
  readonly classificationId?: string | undefined;
  /** The (computer, update) cursor. */
  readonly afterComputerId: string;
  readonly afterUpdateId: string;
  readonly limit: number;
}

/**
 * What the asset-management connector reads, through the public views the way the model reads SUSDB
 * (vComputerTargetGroup, vUpdate + vUpdateApproval, vComputerTarget + vComputerGroupMembership,
 * vUpdateInstallationInfoBasic), with one query text on both databases.
 */
export class ConnectorViewRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  /** Groups whose name is `name` or whose id is `id` (lower-case), at most `limit`. */
  async findGroups(match: { name: string; id?: string | undefined }, limit: number): Promise<ViewGroup[]> {
    const { id } = match;
    return this.views()
      .selectFrom('vcomputertargetgroup')
      .select(['computertargetgroupid as id', 'name as name'])
      .where((eb) =>
        id === undefined
          ? eb('name', '=', match.name)
          : eb.or([eb('computertargetgroupid', '=', id), eb('name', '=', match.name)]),
      )
      .limit(limit)
      .execute();
  }

  async updatePage(p: ViewUpdatePage): Promise<ViewUpdate[]> {
    let q = this.views()
      .selectFrom('vupdate as u')
      .leftJoin('vupdateapproval as a', (j) =>
        j.onRef('a.updateid', '=', 'u.updateid').on('a.computertargetgroupid', '=', p.groupId),
      )
      .select([
        'u.updateid as update_id',
        'u.defaulttitle as title',
        'u.knowledgebasearticle as kb',
        'u.securitybulletin as bulletin',
        'u.msrcseverity as severity',
        'u.creationdate as created',
        'a.action as action',
      ])
      .where('u.isdeclined', '=', 0)
      .where('u.updateid', '>', p.afterUpdateId)
      .orderBy('u.updateid')
      .limit(p.limit);
    if (p.classificationId !== undefined) q = q.where('u.classificationid', '=', p.classificationId);
    const rows = await q.execute();
    return rows.map((r) => ({
      updateId: r.update_id,
      title: r.title,
      kbArticle: r.kb,
      securityBulletin: r.bulletin,
      msrcSeverity: r.severity,
      creationMs: viewTimeToMs(r.created),
      approvalAction: r.action,
    }));
  }

  async computerPage(p: ViewComputerPage): Promise<ViewComputer[]> {
    let q = this.views()
      .selectFrom('vcomputertarget as c')
      .innerJoin('vcomputergroupmembership as m', (j) =>
        j
          .onRef('m.computertargetid', '=', 'c.computertargetid')
          .on('m.computertargetgroupid', '=', p.groupId),
      )
      .select(['c.computertargetid as id', 'c.name as name', 'c.lastreportedstatustime as reported'])
      .where('c.computertargetid', '>', p.afterComputerId)
      .orderBy('c.computertargetid')
      .limit(p.limit);
    if (!p.includeDownstreamServers) q = q.where('c.parentserverid', 'is', null);
    if (p.reportedAfterMs !== undefined)
      q = q.where('c.lastreportedstatustime', '>', this.timeParam(p.reportedAfterMs));
    if (p.reportedUpToMs !== undefined)
      q = q.where('c.lastreportedstatustime', '<=', this.timeParam(p.reportedUpToMs));
    const rows = await q.execute();
    return rows.map((r) => ({ computerId: r.id, name: r.name, lastReportedMs: viewTimeToMs(r.reported) }));
  }

  async statusPage(p: ViewStatusPage): Promise<ViewStatus[]> {
    if (p.computerIds.length === 0) return [];
    let q = this.views()
      .selectFrom('vupdateinstallationinfobasic as s')
      .innerJoin('vupdate as u', 'u.updateid', 's.updateid')
      .select(['s.computertargetid as computer_id', 's.updateid as update_id', 's.state as state'])
      .where('s.computertargetid', 'in', p.computerIds)
      .where('u.isdeclined', '=', 0)
      .where((eb) =>
        eb.or([
          eb('s.computertargetid', '>', p.afterComputerId),
          eb.and([eb('s.computertargetid', '=', p.afterComputerId), eb('s.updateid', '>', p.afterUpdateId)]),
        ]),
      )
      .orderBy('s.computertargetid')
      .orderBy('s.updateid')
      .limit(p.limit);
    if (p.classificationId !== undefined) q = q.where('u.classificationid', '=', p.classificationId);
    const rows = await q.execute();
    return rows.map((r) => ({ computerId: r.computer_id, updateId: r.update_id, state: Number(r.state) }));
  }

  private views() {
    return publicViewsDb({ db: this.db, dialect: this.dialect });
  }

  /** A time parameter compared with a view datetime: UTC text on SQLite, a Date on PostgreSQL. */
  private timeParam(ms: number): ViewTime {
    return this.dialect === 'postgres'
      ? new Date(ms)
      : new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  }
}
