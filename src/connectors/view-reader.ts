/**
 * Reads what the connector sends through the WSUS-compatible public views (migration 0004,
 * docs/public-views.md), the way the model reads SUSDB: vUpdate + vUpdateApproval for the updates,
 * vComputerTargetGroup to resolve a group, vComputerTarget + vComputerGroupMembership for the computers that
 * reported, vUpdateInstallationInfoBasic for their update states. Every list is read in pages with keyset
 * pagination (`id > last id ORDER BY id LIMIT n`), so memory stays bounded however large the fleet is.
 *
 * States come from vUpdateInstallationInfoBasic (the states computers reported) rather than from
 * vUpdateInstallationInfo, which adds a State 0 row for every (update, computer) pair nobody reported on and
 * computes each computer's effective approval: for 50,000 computers that is a cross join the connector does
 * not need (a missing pair means "Unknown", as documented in docs/connector.md).
 */
import { AppError } from '../errors.js';
import { publicViewsDb, viewTimeToMs, type DbHandle, type ViewTime } from '../storage/index.js';

/** The Security Updates classification (a Microsoft-wide constant). */
export const securityUpdatesClassification = '0fa1201d-4330-4fa8-8ae9-b877473b6441';

export interface UpdateRow {
  updateId: string;
  title: string | null;
  kbArticle: string | null;
  securityBulletin: string | null;
  msrcSeverity: string | null;
  /** ISO 8601 UTC. */
  creationDate: string | null;
  /** The group's approval (vUpdateApproval.Action): Install, Uninstall, Block, or NotApproved. */
  approvalAction: string;
}

export interface ComputerRow {
  computerId: string;
  name: string | null;
  /** ISO 8601 UTC. */
  lastReportedStatusTime: string | null;
}

export interface StatusRow {
  computerId: string;
  updateId: string;
  state: number;
}

export interface ResolvedGroup {
  id: string;
  name: string;
}

export type UpdateScope = 'security' | 'all';

export interface ComputerQuery {
  groupId: string;
  /** Only computers that reported after this time (epoch ms); undefined: every member (a full report). */
  sinceMs: number | undefined;
  /** Only reports up to this time (epoch ms): the window (since, until] becomes the next watermark. */
  untilMs: number | undefined;
  includeDownstreamServers: boolean;
  pageSize: number;
}

/** The port the connector run reads through; tests may substitute it. */
export interface ConnectorReader {
  resolveGroup(nameOrId: string): Promise<ResolvedGroup>;
  updatePages(groupId: string, scope: UpdateScope, pageSize: number): AsyncIterable<UpdateRow[]>;
  computerPages(q: ComputerQuery): AsyncIterable<ComputerRow[]>;
  /** States of these computers (one page of computers), in (computer, update) order, in pages. */
  statusPages(
    computerIds: readonly string[],
    scope: UpdateScope,
    pageSize: number,
  ): AsyncIterable<StatusRow[]>;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isoOf(v: ViewTime | null): string | null {
  const ms = viewTimeToMs(v);
  return ms === null ? null : new Date(ms).toISOString();
}

export function createViewReader(handle: DbHandle): ConnectorReader {
  const db = publicViewsDb(handle);
  /** A time parameter compared with a view datetime: UTC text on SQLite, a Date on PostgreSQL. */
  const timeParam = (ms: number): ViewTime =>
    handle.dialect === 'postgres'
      ? new Date(ms)
      : new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

  return {
    async resolveGroup(nameOrId) {
      const byId = guidPattern.test(nameOrId);
      const rows = await db
        .selectFrom('vcomputertargetgroup')
        .select(['computertargetgroupid as id', 'name as name'])
        .where((eb) =>
          byId
            ? eb.or([eb('computertargetgroupid', '=', nameOrId.toLowerCase()), eb('name', '=', nameOrId)])
            : eb('name', '=', nameOrId),
        )
        .limit(3)
        .execute();
      if (rows.length === 0)
        throw new AppError('PB_ERR_NOT_FOUND', `computer group ${JSON.stringify(nameOrId)} does not exist`, {
          detail: { group: nameOrId },
        });
      if (rows.length > 1)
        throw new AppError(
          'PB_ERR_CONFLICT',
          `computer group name ${JSON.stringify(nameOrId)} is ambiguous (${rows.length} groups); configure the group id`,
          { detail: { group: nameOrId, ids: rows.map((r) => r.id) } },
        );
      const row = rows[0]!;
      return { id: row.id, name: row.name };
    },

    async *updatePages(groupId, scope, pageSize) {
      let after = '';
      for (;;) {
        let q = db
          .selectFrom('vupdate as u')
          .leftJoin('vupdateapproval as a', (j) =>
            j.onRef('a.updateid', '=', 'u.updateid').on('a.computertargetgroupid', '=', groupId),
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
          .where('u.updateid', '>', after)
          .orderBy('u.updateid')
          .limit(pageSize);
        if (scope === 'security') q = q.where('u.classificationid', '=', securityUpdatesClassification);
        const rows = await q.execute();
        if (rows.length === 0) return;
        yield rows.map((r) => ({
          updateId: r.update_id,
          title: r.title,
          kbArticle: r.kb,
          securityBulletin: r.bulletin,
          msrcSeverity: r.severity,
          creationDate: isoOf(r.created),
          approvalAction: r.action ?? 'NotApproved',
        }));
        if (rows.length < pageSize) return;
        after = rows[rows.length - 1]!.update_id;
      }
    },

    async *computerPages(q) {
      let after = '';
      for (;;) {
        let query = db
          .selectFrom('vcomputertarget as c')
          .innerJoin('vcomputergroupmembership as m', (j) =>
            j
              .onRef('m.computertargetid', '=', 'c.computertargetid')
              .on('m.computertargetgroupid', '=', q.groupId),
          )
          .select(['c.computertargetid as id', 'c.name as name', 'c.lastreportedstatustime as reported'])
          .where('c.computertargetid', '>', after)
          .orderBy('c.computertargetid')
          .limit(q.pageSize);
        if (!q.includeDownstreamServers) query = query.where('c.parentserverid', 'is', null);
        if (q.sinceMs !== undefined)
          query = query.where('c.lastreportedstatustime', '>', timeParam(q.sinceMs));
        if (q.untilMs !== undefined && q.sinceMs !== undefined)
          query = query.where('c.lastreportedstatustime', '<=', timeParam(q.untilMs));
        const rows = await query.execute();
        if (rows.length === 0) return;
        yield rows.map((r) => ({
          computerId: r.id,
          name: r.name,
          lastReportedStatusTime: isoOf(r.reported),
        }));
        if (rows.length < q.pageSize) return;
        after = rows[rows.length - 1]!.id;
      }
    },

    async *statusPages(computerIds, scope, pageSize) {
      if (computerIds.length === 0) return;
      let afterComputer = '';
      let afterUpdate = '';
      for (;;) {
        let query = db
          .selectFrom('vupdateinstallationinfobasic as s')
          .innerJoin('vupdate as u', 'u.updateid', 's.updateid')
          .select(['s.computertargetid as computer_id', 's.updateid as update_id', 's.state as state'])
          .where('s.computertargetid', 'in', computerIds)
          .where('u.isdeclined', '=', 0)
          .where((eb) =>
            eb.or([
              eb('s.computertargetid', '>', afterComputer),
              eb.and([eb('s.computertargetid', '=', afterComputer), eb('s.updateid', '>', afterUpdate)]),
            ]),
          )
          .orderBy('s.computertargetid')
          .orderBy('s.updateid')
          .limit(pageSize);
        if (scope === 'security')
          query = query.where('u.classificationid', '=', securityUpdatesClassification);
        const rows = await query.execute();
        if (rows.length === 0) return;
        yield rows.map((r) => ({ computerId: r.computer_id, updateId: r.update_id, state: Number(r.state) }));
        if (rows.length < pageSize) return;
        const last = rows[rows.length - 1]!;
        afterComputer = last.computer_id;
        afterUpdate = last.update_id;
      }
    },
  };
}
