import { type ExpressionBuilder, type SqlBool, type Expression } from 'kysely';
import type { Database } from '../database.js';
import { chunkRows, type Executor } from '../transaction.js';

/** One update that supersedes another, as the admin views show it. */
export interface SupersedingUpdate {
  readonly updateId: string;
  readonly kbArticleId: string | null;
  readonly title: string | null;
  /** An install approval exists on at least one group. */
  readonly approved: boolean;
  readonly declined: boolean;
  /** Supersedes the update directly (its document lists it) rather than through another superseding update. */
  readonly direct: boolean;
}

export interface Supersedence {
  readonly supersededBy: SupersedingUpdate[];
  /** When the earliest stored revision that directly supersedes it was imported (ms); null if not superseded. */
  readonly supersededSince: number | null;
}

/** Chains longer than this are corrupt data (or a cycle the visited set already stops); the walk ends there. */
const maxDepth = 32;

type Scope = ExpressionBuilder<Database, 'revisions'>;

/**
 * The superseding side of an edge counts only when it is what clients are served: the highest revision of a
 * Software/Driver update in the ACTIVE catalog generation. A superseding update that is quarantined, pending
 * or expired-out must not make the older one look replaceable (declining it would leave clients nothing).
 */
function activeSupersedingRevisions(db: Executor) {
  // CROSS JOINs with the join conditions in WHERE: the same rows as inner joins, but SQLite keeps this order
  // (an edge, its revision, that revision's generations), probing by index from the edges asked for. With
  // inner joins it started from the active generation's members and probed the edges for each of them:
  // quadratic in the catalog (bench/cleanup.bench.ts). PostgreSQL plans CROSS JOIN + WHERE as inner joins.
  return db
    .selectFrom('revision_supersedes as rs')
    .crossJoin('revisions as sr')
    .crossJoin('generation_members as sgm')
    .crossJoin('catalog_generations as sg')
    .whereRef('sr.revision_id', '=', 'rs.revision_id')
    .whereRef('sgm.revision_id', '=', 'sr.revision_id')
    .whereRef('sg.generation_id', '=', 'sgm.generation_id')
    .where('sg.state', '=', 'active')
    .where('sr.update_type', 'in', ['Software', 'Driver'])
    .whereRef('sr.update_id', '<>', 'rs.update_id')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('generation_members as hgm')
            .innerJoin('revisions as hr', 'hr.revision_id', 'hgm.revision_id')
            .select('hgm.revision_id')
            .whereRef('hgm.generation_id', '=', 'sgm.generation_id')
            .whereRef('hr.update_id', '=', 'sr.update_id')
            .whereRef('hr.revision_number', '>', 'sr.revision_number'),
        ),
      ),
    );
}

/**
 * Filter expression for the admin update list: the update in scope (`revisions`) is superseded by an update
 * of the active catalog. Direct edges suffice: a transitive superseder is reached through a direct one.
 */
export function isSupersededInActiveCatalog(db: Executor, eb: Scope): Expression<SqlBool> {
  // An uncorrelated IN, computed once per query: as a correlated EXISTS, SQLite planned it from the active
  // generation's members, scanning all of them for every listed update (18 s for a 4,000-revision catalog,
  // bench/cleanup.bench.ts); the superseded set itself takes milliseconds.
  return eb('revisions.update_id', 'in', activeSupersedingRevisions(db).select('rs.update_id'));
}

/**
 * Supersedence within the active catalog (docs/administration.md, "Supersedence"): which served updates
 * replace an update, directly or through a chain (A superseded by B, B by C: A is superseded by B and C).
 */
export class SupersedenceRepository {
  constructor(private readonly db: Executor) {}

  /** Superseding updates of each of `updateIds` (transitively); ids that are not superseded are absent. */
  async supersedersOf(updateIds: readonly string[]): Promise<Map<string, Supersedence>> {
    const roots = [...new Set(updateIds.map((u) => u.toLowerCase()))];
    const edges = new Map<string, DirectEdge[]>();
    let frontier = roots;
    for (let depth = 0; frontier.length > 0 && depth < maxDepth; depth++) {
      const found = await this.directEdges(frontier);
      for (const id of frontier) edges.set(id, []);
      for (const e of found) edges.get(e.superseded)!.push(e);
      frontier = [...new Set(found.map((e) => e.superseding.updateId))].filter((u) => !edges.has(u));
    }
    const out = new Map<string, Supersedence>();
    for (const root of roots) {
      const direct = edges.get(root) ?? [];
      if (direct.length === 0) continue;
      const seen = new Map<string, SupersedingUpdate>();
      const walk = (id: string, isDirect: boolean, depth: number): void => {
        for (const e of edges.get(id) ?? []) {
          const s = e.superseding;
          if (s.updateId === root || seen.has(s.updateId) || depth >= maxDepth) continue;
          seen.set(s.updateId, { ...s, direct: isDirect });
          walk(s.updateId, false, depth + 1);
        }
      };
      walk(root, true, 0);
      out.set(root, {
        supersededBy: [...seen.values()].sort((a, b) => (a.updateId < b.updateId ? -1 : 1)),
        supersededSince: Math.min(...direct.map((e) => e.since)),
      });
    }
    return out;
  }

  private async directEdges(updateIds: readonly string[]): Promise<DirectEdge[]> {
    const out: DirectEdge[] = [];
    for (const chunk of chunkRows(updateIds, 1, 4000)) {
      const rows = await activeSupersedingRevisions(this.db)
        .select((eb) => [
          'rs.update_id as superseded',
          'sr.update_id as superseding',
          'sr.kb_article_id',
          'sr.title',
          eb
            .selectFrom('revision_supersedes as es')
            .innerJoin('revisions as er', 'er.revision_id', 'es.revision_id')
            .select((e) => e.fn.min('er.imported_at').as('m'))
            .whereRef('es.update_id', '=', 'rs.update_id')
            .whereRef('er.update_id', '=', 'sr.update_id')
            .as('since'),
          eb
            .exists(
              eb
                .selectFrom('approvals')
                .select('approvals.update_id')
                .whereRef('approvals.update_id', '=', 'sr.update_id')
                .where('approvals.action', '=', 'install'),
            )
            .as('approved'),
          eb
            .exists(
              eb
                .selectFrom('declines')
                .select('declines.update_id')
                .whereRef('declines.update_id', '=', 'sr.update_id'),
            )
            .as('declined'),
        ])
        .where('rs.update_id', 'in', chunk)
        .execute();
      for (const r of rows)
        out.push({
          superseded: r.superseded,
          since: Number(r.since),
          superseding: {
            updateId: r.superseding,
            kbArticleId: r.kb_article_id,
            title: r.title,
            approved: Boolean(Number(r.approved)),
            declined: Boolean(Number(r.declined)),
            direct: true,
          },
        });
    }
    return out;
  }
}

interface DirectEdge {
  readonly superseded: string;
  readonly since: number;
  readonly superseding: SupersedingUpdate;
}
