import { updateStateNames, type ContentMode } from '../domain/index.js';
import { AppError } from '../errors.js';
import type { QuarantineRecord, SupersedingUpdate, UpdateQuery, UpdateRow } from '../storage/index.js';
import { maxFilterMatches, maxSelectorItems, requireGuid, requireKb } from './admin-input.js';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './admin-paging.js';
import type { AdminStore } from './admin-store.js';
import { ambiguousKbError } from './ambiguous-kb.js';
import { checkCategoryNames, checkSeverity } from './filter-names.js';
import { readStoredDocument } from './stored-document.js';

/** The filters of `updates list` / `GET /api/v1/updates` (the storage query without paging internals). */
export type UpdateFilter = Omit<UpdateQuery, 'afterUpdateId' | 'limit' | 'updateIds'>;

/**
 * Whether an approved update's files are in the content store (content modes `approved`/`all`): clients are
 * offered it only once they are (`stored`); until then it is approved, waiting for content, or its content
 * failed (download or verification) with the reason.
 */
export interface UpdateContent {
  readonly state: 'stored' | 'waiting' | 'failed';
  readonly reason: string | null;
}

export interface UpdateSummary extends UpdateRow {
  readonly classifications: { updateId: string; title: string | null }[];
  readonly products: { updateId: string; title: string | null }[];
  /** null: not approved (or declined), or content mode `none`. */
  readonly content: UpdateContent | null;
  /** Superseded by an update of the active catalog (what clients are served). */
  readonly isSuperseded: boolean;
  /** The superseding updates, direct and through chains, each with whether it is approved. */
  readonly supersededBy: SupersedingUpdate[];
  /** When the first revision superseding it arrived (ms), null when not superseded. */
  readonly supersededSince: number | null;
}

export interface UpdateDetail extends UpdateSummary {
  readonly uninstallable: boolean;
  readonly bundleMembers: string[];
  readonly bundleParents: string[];
  readonly statusCounts: Record<string, number>;
  readonly approvals: {
    groupId: string;
    /** The group's name (its id if the group vanished meanwhile), so no one reads GUIDs. */
    groupName: string;
    action: string;
    deadlineAt: number | null;
    approvedBy: string;
    approvedVia: string;
    approvedAt: number;
  }[];
}

/** Which updates an approve/decline command acts on: ids, KB numbers, or a filter (exactly one kind). */
export interface UpdateSelection {
  readonly updateIds?: readonly string[];
  readonly kbs?: readonly string[];
  readonly filter?: UpdateFilter;
}

/** The admin view of the catalog: filtered lists, one update's detail, and selections for approvals. */
export class UpdatesService {
  constructor(
    private readonly store: AdminStore,
    private readonly contentMode: ContentMode = 'none',
    private readonly express = false,
  ) {}

  async list(filter: UpdateFilter, page: PageRequest = {}): Promise<Page<UpdateSummary>> {
    const limit = pageLimit(page.limit);
    const after = decodeCursor(page.cursor, ['string']);
    validateFilter(filter);
    await checkCategoryNames(this.store, filter);
    const rows = await this.store.repos.adminQueries.listUpdates({
      ...filter,
      ...(after ? { afterUpdateId: after[0] as string } : {}),
      limit: limit + 1,
    });
    const summaries = await this.summarise(rows);
    const byId = new Map(summaries.map((s) => [s.updateId, s]));
    return toPage(
      rows,
      limit,
      (r) => byId.get(r.updateId)!,
      (r) => [r.updateId],
    );
  }

  /** One update by id or KB number (the current revision), with approvals, bundle links and status counts. */
  async show(idOrKb: string): Promise<UpdateDetail> {
    const byKb = /^(kb)?[0-9]+$/i.test(idOrKb.trim());
    const rows = await this.resolve(byKb ? { kbs: [idOrKb] } : { updateIds: [idOrKb] });
    if (rows.length > 1)
      throw ambiguousKbError(
        requireKb(idOrKb),
        await this.summarise(rows.slice(0, 20)),
        rows.length,
        rows.length > 100,
      );
    const [row] = rows;
    const [summary] = await this.summarise([row!]);
    const repos = this.store.repos;
    const [members, parents, counts, approvals, groups] = await Promise.all([
      repos.adminQueries.bundleMembers(row!.revisionId),
      repos.adminQueries.bundleParents(row!.updateId),
      repos.adminQueries.statusCounts(row!.updateId),
      repos.approvals.listForUpdate(row!.updateId),
      repos.groups.list(),
    ]);
    const groupNames = new Map(groups.map((g) => [g.groupId, g.name]));
    const statusCounts: Record<string, number> = {};
    for (const [state, n] of Object.entries(counts))
      statusCounts[updateStateNames[Number(state)] ?? state] = n;
    return {
      ...summary!,
      uninstallable: await this.isUninstallable(row!),
      bundleMembers: members,
      bundleParents: parents,
      statusCounts,
      approvals: approvals.map((a) => ({
        groupId: a.groupId,
        groupName: groupNames.get(a.groupId) ?? a.groupId,
        action: a.action,
        deadlineAt: a.deadlineAt,
        approvedBy: a.approvedBy,
        approvedVia: a.approvedVia,
        approvedAt: a.approvedAt,
      })),
    };
  }

  /**
   * The current revisions a selection names. Unknown ids or KB numbers are PB_ERR_NOT_FOUND (naming them);
   * a filter matching more than 5000 updates is refused so a typo cannot approve the whole catalog.
   */
  async resolve(selection: UpdateSelection): Promise<UpdateRow[]> {
    const kinds = [selection.updateIds, selection.kbs, selection.filter].filter((x) => x !== undefined);
    if (kinds.length !== 1)
      throw new AppError(
        'PB_ERR_INVALID_PARAMETER',
        'name updates by id, by KB number, or by a filter (one of them)',
        {
          detail: { parameter: 'updates' },
        },
      );
    const q = this.store.repos.adminQueries;
    if (selection.filter !== undefined) {
      validateFilter(selection.filter);
      await checkCategoryNames(this.store, selection.filter);
      const rows = await q.listUpdates({ ...selection.filter, limit: maxFilterMatches + 1 });
      if (rows.length > maxFilterMatches)
        throw new AppError(
          'PB_ERR_INVALID_PARAMETER',
          `the filter matches more than ${maxFilterMatches} updates; narrow it`,
          { detail: { parameter: 'filter' } },
        );
      return rows;
    }
    const list = selection.updateIds ?? selection.kbs ?? [];
    if (list.length === 0 || list.length > maxSelectorItems)
      throw new AppError('PB_ERR_INVALID_PARAMETER', `name 1 to ${maxSelectorItems} updates`, {
        detail: { parameter: 'updates' },
      });
    if (selection.updateIds !== undefined) {
      const ids = [...new Set(selection.updateIds.map((u) => requireGuid(u, 'updateId')))];
      const rows = await q.listUpdates({ updateIds: ids, includeHidden: true, limit: ids.length + 1 });
      const found = new Set(rows.map((r) => r.updateId));
      const missing = ids.filter((i) => !found.has(i));
      if (missing.length > 0) await this.refuseMissing(missing);
      return rows;
    }
    const kbs = [...new Set(list.map(requireKb))];
    const out: UpdateRow[] = [];
    const missing: string[] = [];
    for (const kb of kbs) {
      const rows = await q.listUpdates({ kb, limit: 101 });
      if (rows.length === 0) missing.push(`KB${kb}`);
      out.push(...rows);
    }
    if (missing.length > 0)
      throw new AppError('PB_ERR_NOT_FOUND', `no deployable update has ${missing.slice(0, 5).join(', ')}`, {
        detail: { kbs: missing.slice(0, 20) },
      });
    return [...new Map(out.map((r) => [r.updateId, r])).values()];
  }

  /**
   * Ids with no stored revision: unknown (PB_ERR_NOT_FOUND), or every one of them quarantined before it
   * could be stored (a malformed document, an upstream fault): PB_ERR_UPDATE_QUARANTINED with the reason,
   * so the admin learns why the update Microsoft lists is not here instead of "unknown update".
   */
  private async refuseMissing(missing: readonly string[]): Promise<never> {
    const held = await this.store.repos.quarantine.listForUpdates(missing);
    const quarantined = new Map<string, QuarantineRecord>();
    for (const q of held) if (!quarantined.has(q.updateId)) quarantined.set(q.updateId, q);
    const unknown = missing.filter((i) => !quarantined.has(i));
    if (unknown.length > 0)
      throw new AppError('PB_ERR_NOT_FOUND', `unknown update ${unknown.slice(0, 5).join(', ')}`, {
        detail: { updateIds: unknown.slice(0, 20) },
      });
    const q = [...quarantined.values()][0]!;
    throw new AppError(
      'PB_ERR_UPDATE_QUARANTINED',
      `update ${q.updateId} revision ${q.revisionNumber} is quarantined (${q.reasonCode}${q.detail ? `: ${q.detail.slice(0, 300)}` : ''}); ` +
        'no revision of it is stored, so no client is offered it (see patchbay catalog quarantine)',
      {
        detail: {
          quarantined: [...quarantined.values()].slice(0, 20).map((r) => ({
            updateId: r.updateId,
            revisionNumber: r.revisionNumber,
            reasonCode: r.reasonCode,
            detail: r.detail,
          })),
        },
      },
    );
  }

  /**
   * Whether an update can be approved for uninstall. The update document is the authority: WSUS offers
   * "Approved for Removal" only when Properties carries an UninstallationBehavior element (Windows Installer
   * and CBS updates usually do; command-line installers such as Defender definitions do not). A bundle is
   * uninstallable when it declares it itself or when every bundled member does.
   */
  async isUninstallable(row: Pick<UpdateRow, 'revisionId' | 'isBundle'>): Promise<boolean> {
    if (await this.declaresUninstall(row.revisionId)) return true;
    if (!row.isBundle) return false;
    const members = await this.store.repos.adminQueries.bundleMembers(row.revisionId);
    if (members.length === 0) return false;
    for (const m of members) {
      const [current] = await this.store.repos.revisions.listByUpdateId(m);
      if (current === undefined || !(await this.declaresUninstall(current.revisionId))) return false;
    }
    return true;
  }

  private async declaresUninstall(revisionId: number): Promise<boolean> {
    return (await readStoredDocument(this.store, revisionId))?.uninstallationBehavior !== undefined;
  }

  private async summarise(rows: readonly UpdateRow[]): Promise<UpdateSummary[]> {
    const cats = await this.store.repos.adminQueries.categoriesOf(rows.map((r) => r.revisionId));
    const supersedence = await this.store.repos.supersedence.supersedersOf(rows.map((r) => r.updateId));
    const approved = rows.filter((r) => r.approvalCount > 0 && !r.isDeclined).map((r) => r.updateId);
    const active =
      this.contentMode === 'none' || approved.length === 0
        ? undefined
        : await this.store.repos.generations.getActive();
    const gaps: ReadonlyMap<string, UpdateContent> =
      active === undefined
        ? new Map<string, UpdateContent>()
        : await this.store.repos.files.contentGaps(active.generationId, approved, {
            express: this.express,
          });
    const content = (r: UpdateRow): UpdateContent | null => {
      if (active === undefined || r.approvalCount === 0 || r.isDeclined) return null;
      return gaps.get(r.updateId) ?? { state: 'stored', reason: null };
    };
    return rows.map((r) => {
      const list = cats.get(r.revisionId) ?? [];
      const pick = (kind: string) =>
        list.filter((c) => c.kind === kind).map((c) => ({ updateId: c.updateId, title: c.title }));
      return {
        ...r,
        classifications: pick('classification'),
        products: pick('product'),
        content: content(r),
        isSuperseded: supersedence.has(r.updateId),
        supersededBy: supersedence.get(r.updateId)?.supersededBy ?? [],
        supersededSince: supersedence.get(r.updateId)?.supersededSince ?? null,
      };
    });
  }
}

function validateFilter(f: UpdateFilter): void {
  const bad = (parameter: string, why: string) =>
    new AppError('PB_ERR_INVALID_PARAMETER', `${parameter}: ${why}`, { detail: { parameter } });
  if (f.text !== undefined && f.text.length > 200) throw bad('text', 'at most 200 characters');
  if (f.kb !== undefined) requireKb(f.kb);
  checkSeverity(f.severity);
  if (f.approval !== undefined && !['approved', 'unapproved', 'declined'].includes(f.approval))
    throw bad('approval', 'one of approved, unapproved, declined');
  if (f.approvalGroupId !== undefined) requireGuid(f.approvalGroupId, 'group');
  if (f.catalogState !== undefined && !['served', 'quarantined', 'pending'].includes(f.catalogState))
    throw bad('catalogState', 'one of served, quarantined, pending');
  if (f.neededMin !== undefined && (!Number.isInteger(f.neededMin) || f.neededMin < 0 || f.neededMin > 1e9))
    throw bad('neededMin', 'a non-negative integer');
  for (const [name, v] of [
    ['needed', f.needed],
    ['superseded', f.superseded],
    ['failed', f.failed],
  ] as const)
    if (v !== undefined && typeof v !== 'boolean') throw bad(name, 'true or false');
  for (const [name, list] of [
    ['classification', f.classifications],
    ['product', f.products],
  ] as const)
    if (list !== undefined && (list.length > 50 || list.some((v) => v.length === 0 || v.length > 200)))
      throw bad(name, 'at most 50 names of 1 to 200 characters');
}
