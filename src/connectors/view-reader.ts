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
import { createRepositories, type DbHandle } from '../storage/index.js';
import type { ConnectorViewStore } from './view-ports.js';

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

function isoOf(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function createViewReader(handle: DbHandle): ConnectorReader {
  const views: ConnectorViewStore = createRepositories(handle).connectorViews;
  const classificationOf = (scope: UpdateScope) =>
    scope === 'security' ? securityUpdatesClassification : undefined;

  return {
    async resolveGroup(nameOrId) {
      const id = guidPattern.test(nameOrId) ? nameOrId.toLowerCase() : undefined;
      const rows = await views.findGroups({ name: nameOrId, id }, 3);
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
      const classificationId = classificationOf(scope);
      let after = '';
      for (;;) {
        const rows = await views.updatePage({
          groupId,
          classificationId,
          afterUpdateId: after,
          limit: pageSize,
        });
        if (rows.length === 0) return;
        yield rows.map((r) => ({
          updateId: r.updateId,
          title: r.title,
          kbArticle: r.kbArticle,
          securityBulletin: r.securityBulletin,
          msrcSeverity: r.msrcSeverity,
          creationDate: isoOf(r.creationMs),
          approvalAction: r.approvalAction ?? 'NotApproved',
        }));
        if (rows.length < pageSize) return;
        after = rows[rows.length - 1]!.updateId;
      }
    },

    async *computerPages(q) {
      let after = '';
      for (;;) {
        const rows = await views.computerPage({
          groupId: q.groupId,
          includeDownstreamServers: q.includeDownstreamServers,
          reportedAfterMs: q.sinceMs,
          // The window's upper end applies to incremental reports only; a full report sends every member.
          reportedUpToMs: q.sinceMs === undefined ? undefined : q.untilMs,
          afterComputerId: after,
          limit: q.pageSize,
        });
        if (rows.length === 0) return;
        yield rows.map((r) => ({
          computerId: r.computerId,
          name: r.name,
          lastReportedStatusTime: isoOf(r.lastReportedMs),
        }));
        if (rows.length < q.pageSize) return;
        after = rows[rows.length - 1]!.computerId;
      }
    },

    async *statusPages(computerIds, scope, pageSize) {
      if (computerIds.length === 0) return;
      const classificationId = classificationOf(scope);
      let afterComputer = '';
      let afterUpdate = '';
      for (;;) {
        const rows = await views.statusPage({
          computerIds,
          classificationId,
          afterComputerId: afterComputer,
          afterUpdateId: afterUpdate,
          limit: pageSize,
        });
        if (rows.length === 0) return;
        yield rows;
        if (rows.length < pageSize) return;
        const last = rows[rows.length - 1]!;
        afterComputer = last.computerId;
        afterUpdate = last.updateId;
      }
    },
  };
}
