import { chunkRows, type Executor } from '../transaction.js';

/** A revision as the client service's catalog index needs it (docs/clients.md). */
export interface CatalogRevisionRow {
  readonly revisionId: number;
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly updateType: string;
  readonly publicationState: string | null;
  readonly importedAt: number;
}

/** One update id of a prerequisite clause (clauses are AND, the ids of one clause OR). */
export interface CatalogPrerequisiteRow {
  readonly revisionId: number;
  readonly clauseIndex: number;
  readonly updateId: string;
  readonly isCategory: boolean;
}

/** One member of a BundledUpdates group (the groups are AND, the members of one group OR). */
export interface CatalogBundleRow {
  readonly revisionId: number;
  readonly groupIndex: number;
  readonly updateId: string;
  readonly revisionNumber: number;
}

export interface CatalogRows {
  /** In no particular order. */
  readonly revisions: CatalogRevisionRow[];
  /** By revision, then clause. */
  readonly prerequisites: CatalogPrerequisiteRow[];
  /** By revision, then group. */
  readonly bundles: CatalogBundleRow[];
}

/** A file a revision names, with its place in the revision's document. */
export interface RevisionFileRow {
  readonly revisionId: number;
  readonly position: number;
  readonly fileName: string;
  readonly sha1: Buffer;
  readonly muUrl: string | null;
}

export interface StoredFileRow {
  readonly sha1: Buffer;
  readonly name: string;
  readonly muUrl: string | null;
}

/**
 * What the client service reads to build a generation's catalog index and to locate files. Id lists of any
 * length are read in chunks of 4,000 (SQLite's parameter limit), so a 100k-revision generation loads in a
 * few dozen queries, never one query per revision.
 */
export class ClientCatalogRepository {
  constructor(private readonly db: Executor) {}

  /** The revisions, their prerequisite clauses and their bundle groups; unknown ids are left out. */
  async catalogRows(revisionIds: readonly number[]): Promise<CatalogRows> {
    const out: CatalogRows = { revisions: [], prerequisites: [], bundles: [] };
    for (const chunk of chunkRows(revisionIds, 1, 4000)) {
      const [revs, pre, bun] = await Promise.all([
        this.db
          .selectFrom('revisions')
          .select([
            'revision_id',
            'update_id',
            'revision_number',
            'update_type',
            'publication_state',
            'imported_at',
          ])
          .where('revision_id', 'in', chunk)
          .execute(),
        this.db
          .selectFrom('revision_prerequisites')
          .select(['revision_id', 'clause_index', 'update_id', 'is_category'])
          .where('revision_id', 'in', chunk)
          .orderBy('revision_id')
          .orderBy('clause_index')
          .execute(),
        this.db
          .selectFrom('revision_bundles')
          .select(['revision_id', 'group_index', 'update_id', 'revision_number'])
          .where('revision_id', 'in', chunk)
          .orderBy('revision_id')
          .orderBy('group_index')
          .execute(),
      ]);
      for (const r of revs)
        out.revisions.push({
          revisionId: r.revision_id,
          updateId: r.update_id,
          revisionNumber: r.revision_number,
          updateType: r.update_type,
          publicationState: r.publication_state,
          importedAt: r.imported_at,
        });
      for (const p of pre)
        out.prerequisites.push({
          revisionId: p.revision_id,
          clauseIndex: p.clause_index,
          updateId: p.update_id,
          isCategory: p.is_category === 1,
        });
      for (const b of bun)
        out.bundles.push({
          revisionId: b.revision_id,
          groupIndex: b.group_index,
          updateId: b.update_id,
          revisionNumber: b.revision_number,
        });
    }
    return out;
  }

  /** The files these revisions name, with the stored file's URL; in no particular order. */
  async filesOfRevisions(revisionIds: readonly number[]): Promise<RevisionFileRow[]> {
    const out: RevisionFileRow[] = [];
    for (const chunk of chunkRows([...new Set(revisionIds)], 1, 4000)) {
      const rows = await this.db
        .selectFrom('revision_files')
        .innerJoin('files', 'files.sha1', 'revision_files.sha1')
        .select([
          'revision_files.revision_id',
          'revision_files.position',
          'revision_files.file_name',
          'files.sha1',
          'files.mu_url',
        ])
        .where('revision_files.revision_id', 'in', chunk)
        .execute();
      for (const r of rows)
        out.push({
          revisionId: r.revision_id,
          position: r.position,
          fileName: r.file_name,
          sha1: r.sha1,
          muUrl: r.mu_url,
        });
    }
    return out;
  }

  /** The file rows of these digests; unknown digests are left out. */
  async filesByDigest(sha1s: readonly Buffer[]): Promise<StoredFileRow[]> {
    const out: StoredFileRow[] = [];
    for (const chunk of chunkRows(sha1s, 1, 4000)) {
      const rows = await this.db
        .selectFrom('files')
        .select(['sha1', 'name', 'mu_url'])
        .where('sha1', 'in', chunk)
        .execute();
      for (const r of rows) out.push({ sha1: r.sha1, name: r.name, muUrl: r.mu_url });
    }
    return out;
  }
}
