import type { Executor } from '../transaction.js';
import type { RevisionIdentity } from './revision-types.js';

/** One stored revision with its relationships, as the sync's closure check reads them. */
export interface RevisionGraphNode extends RevisionIdentity {
  readonly revisionId: number;
  /** Prerequisite CNF clauses in clause order: update ids, one of which must be satisfied per clause. */
  readonly prerequisites: readonly (readonly string[])[];
  /** Bundled groups in group order: exact identities of the children. */
  readonly bundled: readonly (readonly RevisionIdentity[])[];
}

/**
 * Every held revision and the relationships between them, read whole: the sync keeps this state in memory
 * for a run (what is held, what the closure still has to fetch) and validates the closure over all of it
 * before it activates a generation.
 */
export class RevisionGraphRepository {
  constructor(private readonly db: Executor) {}

  /** The identity of every stored revision (any order). */
  async identities(): Promise<RevisionIdentity[]> {
    const rows = await this.db.selectFrom('revisions').select(['update_id', 'revision_number']).execute();
    return rows.map((r) => ({ updateId: r.update_id, revisionNumber: r.revision_number }));
  }

  /** Every identity some stored bundle names as a child, once each (held or not). */
  async bundledIdentities(): Promise<RevisionIdentity[]> {
    const rows = await this.db
      .selectFrom('revision_bundles')
      .select(['update_id', 'revision_number'])
      .distinct()
      .execute();
    return rows.map((r) => ({ updateId: r.update_id, revisionNumber: r.revision_number }));
  }

  /** Every update id some stored revision names as a prerequisite, once each (held or not). */
  async prerequisiteUpdateIds(): Promise<string[]> {
    const rows = await this.db.selectFrom('revision_prerequisites').select('update_id').distinct().execute();
    return rows.map((r) => r.update_id);
  }

  /** Every stored revision with its prerequisite clauses and bundled groups (any order of revisions). */
  async nodes(): Promise<RevisionGraphNode[]> {
    const revs = await this.db
      .selectFrom('revisions')
      .select(['revision_id', 'update_id', 'revision_number'])
      .execute();
    const prereqs = await this.db
      .selectFrom('revision_prerequisites')
      .select(['revision_id', 'clause_index', 'update_id'])
      .execute();
    const bundles = await this.db
      .selectFrom('revision_bundles')
      .select(['revision_id', 'group_index', 'update_id', 'revision_number'])
      .execute();
    const clauses = new Map<number, string[][]>();
    for (const p of prereqs) {
      let l = clauses.get(p.revision_id);
      if (!l) clauses.set(p.revision_id, (l = []));
      (l[p.clause_index] ??= []).push(p.update_id);
    }
    const groups = new Map<number, RevisionIdentity[][]>();
    for (const b of bundles) {
      let l = groups.get(b.revision_id);
      if (!l) groups.set(b.revision_id, (l = []));
      (l[b.group_index] ??= []).push({ updateId: b.update_id, revisionNumber: b.revision_number });
    }
    // Indexes are positions in the document; a gap (never written today) must not become an empty clause.
    return revs.map((r) => ({
      revisionId: r.revision_id,
      updateId: r.update_id,
      revisionNumber: r.revision_number,
      prerequisites: (clauses.get(r.revision_id) ?? []).filter((c) => c !== undefined),
      bundled: (groups.get(r.revision_id) ?? []).filter((g) => g !== undefined),
    }));
  }
}
