import { sql, type ExpressionBuilder, type SqlBool, type Expression, type RawBuilder } from 'kysely';
import { neededUpdateStates, updateState } from '../../../domain/index.js';
import type { Database } from '../database.js';
import { chunkRows, type Executor } from '../transaction.js';
import { isSupersededInActiveCatalog } from './supersedence-repository.js';

/** Filters of the admin update list. Every filter narrows (AND). */
export interface UpdateQuery {
  /** Case-insensitive substring of the title, or an exact KB number / update id. */
  readonly text?: string;
  /** KB article number without the "KB" prefix. */
  readonly kb?: string;
  /** Classification update ids or titles (any of). */
  readonly classifications?: readonly string[];
  /** Product update ids or titles (any of). */
  readonly products?: readonly string[];
  /** MSRC severity (Critical, Important, Moderate, Low), case-insensitive. */
  readonly severity?: string;
  /** approved: an install/uninstall approval exists (on `approvalGroupId` when given); declined; unapproved. */
  readonly approval?: 'approved' | 'unapproved' | 'declined';
  readonly approvalGroupId?: string;
  /** Only updates that at least this many computers need (`neededUpdateStates`). */
  readonly neededMin?: number;
  /** true: needed by at least one computer; false: by none. */
  readonly needed?: boolean;
  /** true: superseded by an update of the active catalog (SupersedenceRepository); false: not superseded. */
  readonly superseded?: boolean;
  /** true: at least one computer reported a failed install (state 5); false: none did. */
  readonly failed?: boolean;
  /** Also list updates that are not explicitly deployable (bundle members). */
  readonly includeHidden?: boolean;
  /** Only updates whose listed revision is in this catalog state (see UpdateRow.catalogState). */
  readonly catalogState?: CatalogState;
  readonly updateIds?: readonly string[];
  readonly afterUpdateId?: string;
  readonly limit?: number;
}

/**
 * Where an update's current (highest stored) revision stands with clients: `served` it is in the active
 * catalog generation; `quarantined` the sync held it out (a dangling prerequisite, a bad member, ...);
 * `pending` stored but not yet activated (the catalog is pinned by `catalog rollback`, or no sync has
 * activated it yet).
 */
export type CatalogState = 'served' | 'quarantined' | 'pending';

export interface UpdateRow {
  readonly updateId: string;
  readonly revisionId: number;
  readonly revisionNumber: number;
  readonly title: string | null;
  readonly kbArticleId: string | null;
  readonly msrcSeverity: string | null;
  readonly updateType: string;
  readonly publicationState: string | null;
  readonly isBundle: boolean;
  readonly isExplicitlyDeployable: boolean;
  readonly creationDateAt: number | null;
  readonly isDeclined: boolean;
  readonly neededCount: number;
  readonly approvalCount: number;
  readonly catalogState: CatalogState;
  /** The revision clients are offered (the highest in the active generation), or null when none is. */
  readonly servedRevisionNumber: number | null;
  /** Why the current revision is quarantined (null unless catalogState is `quarantined`). */
  readonly quarantine: { reasonCode: string; detail: string | null; causedByUpdateId: string | null } | null;
}

export interface ComputerQuery {
  /** Case-insensitive substring of the DNS name, or an exact computer id. */
  readonly text?: string;
  /** Direct members of this group (All Computers = everyone). */
  readonly groupId?: string;
  /** Last contact (last sync, else last report, else registration) before this time. */
  readonly silentBefore?: number;
  readonly afterComputerId?: string;
  readonly limit?: number;
}

export interface ApprovalQuery {
  readonly updateId?: string;
  readonly groupId?: string;
  readonly action?: string;
  readonly after?: { updateId: string; groupId: string };
  readonly limit?: number;
}

export interface AuditQuery {
  readonly actor?: string;
  /** Exact action or a prefix ending in '.' (e.g. `approval.`). */
  readonly action?: string;
  readonly targetType?: string;
  readonly targetId?: string;
  readonly since?: number;
  readonly until?: number;
  readonly beforeAuditId?: number;
  readonly limit?: number;
}

type RevisionScope = ExpressionBuilder<Database, 'revisions'>;

/** The quarantine entry of the revision in scope (primary key lookup). */
function quarantineOf(eb: RevisionScope) {
  return eb
    .selectFrom('quarantine')
    .whereRef('quarantine.update_id', '=', 'revisions.update_id')
    .whereRef('quarantine.revision_number', '=', 'revisions.revision_number');
}

/**
 * The read side of administration: filtered, keyset-paginated lists over the catalog and the fleet for the
 * REST API and the CLI. Keyset pagination (after the last key) keeps pages stable while rows are added.
 */
export class AdminQueryRepository {
  constructor(private readonly db: Executor) {}

  /** The current (highest stored) revision of each update matching the query, by update id. */
  async listUpdates(query: UpdateQuery): Promise<UpdateRow[]> {
    const limit = query.limit ?? 50;
    let q = this.db
      .selectFrom('revisions')
      .select((eb) => [
        'revisions.update_id',
        'revisions.revision_id',
        'revisions.revision_number',
        'revisions.title',
        'revisions.kb_article_id',
        'revisions.msrc_severity',
        'revisions.update_type',
        'revisions.publication_state',
        'revisions.is_bundle',
        'revisions.is_explicitly_deployable',
        'revisions.creation_date_at',
        eb
          .exists(
            eb
              .selectFrom('declines')
              .select('declines.update_id')
              .whereRef('declines.update_id', '=', 'revisions.update_id'),
          )
          .as('is_declined'),
        eb
          .selectFrom('update_status')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('update_status.update_id', '=', 'revisions.update_id')
          .where('update_status.state', 'in', [...neededUpdateStates])
          .as('needed_count'),
        eb
          .selectFrom('approvals')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('approvals.update_id', '=', 'revisions.update_id')
          .where('approvals.action', 'in', ['install', 'uninstall'])
          .as('approval_count'),
        eb
          .selectFrom('revisions as served')
          .innerJoin('generation_members as sgm', 'sgm.revision_id', 'served.revision_id')
          .innerJoin('catalog_generations as sg', 'sg.generation_id', 'sgm.generation_id')
          .select((e) => e.fn.max('served.revision_number').as('m'))
          .whereRef('served.update_id', '=', 'revisions.update_id')
          .where('sg.state', '=', 'active')
          .as('served_revision_number'),
        quarantineOf(eb).select('quarantine.reason_code').as('q_reason'),
        quarantineOf(eb).select('quarantine.detail').as('q_detail'),
        quarantineOf(eb).select('quarantine.caused_by_update_id').as('q_caused_by'),
      ])
      .where('revisions.update_type', 'in', ['Software', 'Driver'])
      .where((eb) =>
        eb(
          'revisions.revision_number',
          '=',
          eb
            .selectFrom('revisions as newer')
            .select((e) => e.fn.max('newer.revision_number').as('m'))
            .whereRef('newer.update_id', '=', 'revisions.update_id'),
        ),
      );
    if (query.includeHidden !== true) q = q.where('revisions.is_explicitly_deployable', '=', 1);
    if (query.updateIds !== undefined)
      q = q.where(
        'revisions.update_id',
        'in',
        query.updateIds.length === 0 ? [''] : query.updateIds.map((u) => u.toLowerCase()),
      );
    if (query.afterUpdateId !== undefined)
      q = q.where('revisions.update_id', '>', query.afterUpdateId.toLowerCase());
    if (query.text !== undefined && query.text !== '') {
      const text = query.text.trim();
      const kb = text.replace(/^kb/i, '');
      q = q.where((eb) =>
        eb.or([
          containsText(sql.ref('revisions.title'), text),
          eb('revisions.kb_article_id', '=', kb),
          eb('revisions.update_id', '=', text.toLowerCase()),
        ]),
      );
    }
    if (query.kb !== undefined) q = q.where('revisions.kb_article_id', '=', query.kb.replace(/^kb/i, ''));
    if (query.severity !== undefined)
      q = q.where((eb) =>
        eb(eb.fn('lower', ['revisions.msrc_severity']), '=', query.severity!.toLowerCase()),
      );
    if (query.classifications !== undefined && query.classifications.length > 0)
      q = q.where((eb) => categoryMatch(eb, 'classification', query.classifications!));
    if (query.products !== undefined && query.products.length > 0)
      q = q.where((eb) => categoryMatch(eb, 'product', query.products!));
    if (query.approval !== undefined) {
      const approved = (eb: RevisionScope) => {
        let sub = eb
          .selectFrom('approvals')
          .select('approvals.update_id')
          .whereRef('approvals.update_id', '=', 'revisions.update_id')
          .where('approvals.action', 'in', ['install', 'uninstall']);
        if (query.approvalGroupId !== undefined)
          sub = sub.where('approvals.group_id', '=', query.approvalGroupId.toLowerCase());
        return eb.exists(sub);
      };
      const declined = (eb: RevisionScope) =>
        eb.exists(
          eb
            .selectFrom('declines')
            .select('declines.update_id')
            .whereRef('declines.update_id', '=', 'revisions.update_id'),
        );
      if (query.approval === 'approved') q = q.where((eb) => approved(eb));
      else if (query.approval === 'declined') q = q.where((eb) => declined(eb));
      else q = q.where((eb) => eb.and([eb.not(approved(eb)), eb.not(declined(eb))]));
    }
    if (query.neededMin !== undefined && query.neededMin > 0)
      q = q.where(
        (eb) =>
          eb
            .selectFrom('update_status')
            .select((e) => e.fn.countAll<number>().as('n'))
            .whereRef('update_status.update_id', '=', 'revisions.update_id')
            .where('update_status.state', 'in', [...neededUpdateStates]),
        '>=',
        query.neededMin,
      );
    if (query.needed !== undefined) {
      const needed = query.needed;
      q = q.where((eb) => {
        const e = eb.exists(statusIn(eb, neededUpdateStates));
        return needed ? e : eb.not(e);
      });
    }
    if (query.failed !== undefined) {
      const failed = query.failed;
      q = q.where((eb) => {
        const e = eb.exists(statusIn(eb, [updateState.failed]));
        return failed ? e : eb.not(e);
      });
    }
    if (query.superseded !== undefined) {
      const superseded = query.superseded;
      q = q.where((eb) => {
        const e = isSupersededInActiveCatalog(this.db, eb);
        return superseded ? e : eb.not(e);
      });
    }
    if (query.catalogState !== undefined) {
      const state = query.catalogState;
      q = q.where((eb) => {
        const served = eb.exists(
          eb
            .selectFrom('generation_members as fgm')
            .innerJoin('catalog_generations as fg', 'fg.generation_id', 'fgm.generation_id')
            .select('fgm.revision_id')
            .whereRef('fgm.revision_id', '=', 'revisions.revision_id')
            .where('fg.state', '=', 'active'),
        );
        const quarantined = eb.exists(quarantineOf(eb).select('quarantine.update_id'));
        if (state === 'served') return served;
        if (state === 'quarantined') return eb.and([quarantined, eb.not(served)]);
        return eb.and([eb.not(quarantined), eb.not(served)]);
      });
    }
    const rows = await q.orderBy('revisions.update_id').limit(limit).execute();
    return rows.map((r) => {
      const served = r.served_revision_number === null ? null : Number(r.served_revision_number);
      const catalogState: CatalogState =
        served === r.revision_number ? 'served' : r.q_reason !== null ? 'quarantined' : 'pending';
      return {
        updateId: r.update_id,
        revisionId: r.revision_id,
        revisionNumber: r.revision_number,
        title: r.title,
        kbArticleId: r.kb_article_id,
        msrcSeverity: r.msrc_severity,
        updateType: r.update_type,
        publicationState: r.publication_state,
        isBundle: r.is_bundle === 1,
        isExplicitlyDeployable: r.is_explicitly_deployable === 1,
        creationDateAt: r.creation_date_at,
        isDeclined: Boolean(Number(r.is_declined)),
        neededCount: Number(r.needed_count ?? 0),
        approvalCount: Number(r.approval_count ?? 0),
        catalogState,
        servedRevisionNumber: served,
        quarantine:
          catalogState === 'quarantined'
            ? { reasonCode: r.q_reason!, detail: r.q_detail ?? null, causedByUpdateId: r.q_caused_by ?? null }
            : null,
      };
    });
  }

  /** Categories (classification/product/...) of revisions, with their titles when the category is stored. */
  async categoriesOf(
    revisionIds: readonly number[],
  ): Promise<Map<number, { updateId: string; kind: string; title: string | null }[]>> {
    const out = new Map<number, { updateId: string; kind: string; title: string | null }[]>();
    for (const chunk of chunkRows([...new Set(revisionIds)], 1, 4000)) {
      const rows = await this.db
        .selectFrom('revision_categories')
        .leftJoin('categories', 'categories.update_id', 'revision_categories.category_update_id')
        .select([
          'revision_categories.revision_id',
          'revision_categories.category_update_id',
          'revision_categories.kind',
          'categories.title',
        ])
        .where('revision_categories.revision_id', 'in', chunk)
        .orderBy('revision_categories.revision_id')
        .orderBy('revision_categories.category_update_id')
        .execute();
      for (const r of rows) {
        const list = out.get(r.revision_id) ?? [];
        list.push({ updateId: r.category_update_id, kind: r.kind, title: r.title });
        out.set(r.revision_id, list);
      }
    }
    return out;
  }

  /** The titles of the stored categories of a type (for did-you-mean suggestions). */
  async categoryTitles(categoryType: 'Product' | 'UpdateClassification'): Promise<string[]> {
    const rows = await this.db
      .selectFrom('categories')
      .select('title')
      .where('category_type', '=', categoryType)
      .execute();
    return rows.map((r) => r.title).filter((t): t is string => t !== null);
  }

  /** Category ids of a type whose id or title equals one of `names` (case-insensitive). */
  async resolveCategories(categoryType: 'Product' | 'UpdateClassification', names: readonly string[]) {
    if (names.length === 0) return new Map<string, string>();
    const rows = await this.db
      .selectFrom('categories')
      .select(['update_id', 'title'])
      .where('category_type', '=', categoryType)
      .execute();
    const out = new Map<string, string>();
    for (const name of names) {
      const n = name.trim().toLowerCase();
      const hit = rows.find((r) => r.update_id === n || (r.title ?? '').toLowerCase() === n);
      if (hit !== undefined) out.set(name, hit.update_id);
    }
    return out;
  }

  /** Per-state computer counts of one update (state -> count). */
  async statusCounts(updateId: string): Promise<Record<number, number>> {
    const rows = await this.db
      .selectFrom('update_status')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('update_id', '=', updateId.toLowerCase())
      .groupBy('state')
      .execute();
    const out: Record<number, number> = {};
    for (const r of rows) out[r.state] = Number(r.n);
    return out;
  }

  /** Updates bundled by `updateId`'s current revision (its members: they install through it). */
  async bundleMembers(revisionId: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('revision_bundles')
      .select('update_id')
      .distinct()
      .where('revision_id', '=', revisionId)
      .orderBy('update_id')
      .execute();
    return rows.map((r) => r.update_id);
  }

  /** Current revisions of updates whose current revision bundles `updateId` (its parents). */
  async bundleParents(updateId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('revision_bundles')
      .innerJoin('revisions', 'revisions.revision_id', 'revision_bundles.revision_id')
      .select('revisions.update_id')
      .distinct()
      .where('revision_bundles.update_id', '=', updateId.toLowerCase())
      .orderBy('revisions.update_id')
      .execute();
    return rows.map((r) => r.update_id);
  }

  async listComputers(query: ComputerQuery) {
    let q = this.db.selectFrom('computers').selectAll('computers');
    if (query.afterComputerId !== undefined)
      q = q.where('computers.computer_id', '>', query.afterComputerId.toLowerCase());
    if (query.text !== undefined && query.text !== '') {
      const text = query.text.trim().toLowerCase();
      q = q.where((eb) =>
        eb.or([containsText(sql.ref('computers.dns_name'), text), eb('computers.computer_id', '=', text)]),
      );
    }
    if (query.groupId !== undefined && query.groupId.toLowerCase() !== 'a0a08746-4dbe-4a37-9adf-9e7652c0b421')
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('group_memberships')
            .select('group_memberships.computer_id')
            .whereRef('group_memberships.computer_id', '=', 'computers.computer_id')
            .where('group_memberships.group_id', '=', query.groupId!.toLowerCase()),
        ),
      );
    if (query.silentBefore !== undefined)
      q = q.where(
        (eb) =>
          eb.fn.coalesce('computers.last_sync_at', 'computers.last_report_at', 'computers.registered_at'),
        '<',
        query.silentBefore,
      );
    return q
      .orderBy('computers.computer_id')
      .limit(query.limit ?? 50)
      .execute();
  }

  /** Group memberships of many computers (computer id -> group ids). */
  async membershipsOf(
    computerIds: readonly string[],
  ): Promise<Map<string, { groupId: string; source: string }[]>> {
    const out = new Map<string, { groupId: string; source: string }[]>();
    for (const chunk of chunkRows([...new Set(computerIds)], 1, 4000)) {
      const rows = await this.db
        .selectFrom('group_memberships')
        .select(['computer_id', 'group_id', 'source'])
        .where('computer_id', 'in', chunk)
        .orderBy('computer_id')
        .orderBy('group_id')
        .execute();
      for (const r of rows) {
        const list = out.get(r.computer_id) ?? [];
        list.push({ groupId: r.group_id, source: r.source });
        out.set(r.computer_id, list);
      }
    }
    return out;
  }

  async countComputers(): Promise<number> {
    const r = await this.db
      .selectFrom('computers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Number of direct members per group. */
  async memberCounts(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('group_memberships')
      .select(['group_id', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('group_id')
      .execute();
    return new Map(rows.map((r) => [r.group_id, Number(r.n)]));
  }

  async listApprovals(query: ApprovalQuery) {
    let q = this.db
      .selectFrom('approvals')
      .leftJoin(
        (eb) =>
          eb
            .selectFrom('revisions')
            .select([
              'update_id',
              (e) => e.fn.max('title').as('title'),
              (e) => e.fn.max('kb_article_id').as('kb'),
            ])
            .groupBy('update_id')
            .as('u'),
        (join) => join.onRef('u.update_id', '=', 'approvals.update_id'),
      )
      .selectAll('approvals')
      .select(['u.title', 'u.kb']);
    if (query.updateId !== undefined) q = q.where('approvals.update_id', '=', query.updateId.toLowerCase());
    if (query.groupId !== undefined) q = q.where('approvals.group_id', '=', query.groupId.toLowerCase());
    if (query.action !== undefined) q = q.where('approvals.action', '=', query.action as never);
    if (query.after !== undefined) {
      const a = query.after;
      q = q.where((eb) =>
        eb.or([
          eb('approvals.update_id', '>', a.updateId),
          eb.and([eb('approvals.update_id', '=', a.updateId), eb('approvals.group_id', '>', a.groupId)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('approvals.update_id')
      .orderBy('approvals.group_id')
      .limit(query.limit ?? 50)
      .execute();
    return rows.map((r) => ({
      updateId: r.update_id,
      groupId: r.group_id,
      action: r.action,
      deadlineAt: r.deadline_at,
      approvedBy: r.approved_by,
      approvedVia: r.approved_via,
      approvedAt: r.approved_at,
      title: r.title ?? null,
      kbArticleId: r.kb ?? null,
    }));
  }

  async listAudit(query: AuditQuery) {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (query.beforeAuditId !== undefined) q = q.where('audit_id', '<', query.beforeAuditId);
    if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
    if (query.action !== undefined)
      q = query.action.endsWith('.')
        ? q.where(sql<SqlBool>`action like ${`${escapeLike(query.action)}%`} escape '\\'`)
        : q.where('action', '=', query.action);
    if (query.targetType !== undefined) q = q.where('target_type', '=', query.targetType);
    if (query.targetId !== undefined) q = q.where('target_id', '=', query.targetId.toLowerCase());
    if (query.since !== undefined) q = q.where('at', '>=', query.since);
    if (query.until !== undefined) q = q.where('at', '<', query.until);
    const rows = await q
      .orderBy('audit_id', 'desc')
      .limit(query.limit ?? 50)
      .execute();
    return rows.map((r) => ({
      auditId: Number(r.audit_id),
      at: r.at,
      actor: r.actor,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }));
  }

  /** Row counts of the tables administration writes (tests assert "changes nothing" with these). */
  async fingerprint(): Promise<Record<string, number>> {
    const tables = [
      'approvals',
      'declines',
      'computer_groups',
      'group_memberships',
      'computers',
      'approval_rules',
      'api_tokens',
      'audit_log',
      'deployment_changes',
      'settings',
    ] as const;
    const out: Record<string, number> = {};
    for (const t of tables) {
      const r = await this.db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      out[t] = Number(r.n);
    }
    return out;
  }
}

/** update_status rows of the update in scope in one of these states. */
function statusIn(eb: RevisionScope, states: readonly number[]) {
  return eb
    .selectFrom('update_status')
    .select('update_status.update_id')
    .whereRef('update_status.update_id', '=', 'revisions.update_id')
    .where('update_status.state', 'in', [...states]);
}

function categoryMatch(eb: RevisionScope, kind: string, values: readonly string[]): Expression<SqlBool> {
  const lowered = values.map((v) => v.trim().toLowerCase());
  return eb.exists(
    eb
      .selectFrom('revision_categories')
      .leftJoin('categories', 'categories.update_id', 'revision_categories.category_update_id')
      .select('revision_categories.revision_id')
      .whereRef('revision_categories.revision_id', '=', 'revisions.revision_id')
      .where('revision_categories.kind', '=', kind)
      .where((e) =>
        e.or([
          e('revision_categories.category_update_id', 'in', lowered),
          e(e.fn('lower', ['categories.title']), 'in', lowered),
        ]),
      ),
  );
}

/** User text is literal in LIKE patterns: escape the wildcards (with an explicit ESCAPE on both dialects). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Case-insensitive substring match that behaves the same on SQLite and PostgreSQL. */
function containsText(column: RawBuilder<unknown>, text: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`lower(${column}) like ${`%${escapeLike(text.toLowerCase())}%`} escape '\\'`;
}
