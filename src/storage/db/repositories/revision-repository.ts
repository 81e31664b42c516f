import type { Selectable } from 'kysely';
import { AppError } from '../../../errors.js';
import type { StoredBlob } from '../blob-codec.js';
import { bulkInsert, dialectOf, type BulkInsertSpec } from '../bulk-insert.js';
import type { Database, RevisionsTable } from '../database.js';
import type { DialectName } from '../dialect.js';
import { chunkRows, inTransaction, type Executor } from '../transaction.js';
import { allocateRevisionIds, lookupRevisionIds, revisionKey } from './revision-ids.js';
import { buildRevisionRows, revisionColumns } from './revision-rows.js';
import type {
  FragmentKind,
  InstallBehaviorInput,
  LocalizedRecord,
  RevisionIdentity,
  RevisionInput,
  RevisionRecord,
  RevisionRelationships,
} from './revision-types.js';

/** Tables holding a revision's children; an upsert replaces them all. */
const childTables = [
  'revision_documents',
  'revision_fragments',
  'revision_localized',
  'revision_prerequisites',
  'revision_bundles',
  'revision_supersedes',
  'revision_categories',
  'revision_files',
  'revision_drivers',
] as const;

/** Columns an upsert of an existing revision rewrites (identity and first import time stay). */
const revisionUpdateSet = revisionColumns.revisions
  .filter((c) => c !== 'revision_id' && c !== 'update_id' && c !== 'revision_number' && c !== 'imported_at')
  .map((c) => `"${c}" = excluded."${c}"`)
  .join(', ');
const categoryUpdateSet = revisionColumns.categoryInfo
  .filter((c) => c !== 'update_id')
  .map((c) => `"${c}" = excluded."${c}"`)
  .join(', ');

/** Revisions with their documents, fragments, relationships and files. */
export class RevisionRepository {
  readonly #dialect: DialectName | undefined;

  /** `dialect` is detected from the executor when omitted (older callers). */
  constructor(
    private readonly db: Executor,
    dialect?: DialectName,
  ) {
    this.#dialect = dialect;
  }

  /**
   * Stores a batch of revisions in one transaction (joins the caller's transaction if there is one):
   * allocates ids, upserts metadata, replaces documents/fragments/relationships/file links, upserts
   * files and categories. Returns the revision ids in input order. Multi-row inserts through `bulkInsert`
   * (pre-built statement texts in power-of-two chunks, reused prepared statements), no per-row commit.
   */
  async upsertMany(inputs: readonly RevisionInput[], now: number = Date.now()): Promise<number[]> {
    if (inputs.length === 0) return [];
    const dialect = this.#dialect ?? dialectOf(this.db);
    return inTransaction(this.db, async (trx) => {
      const ids = await allocateRevisionIds(trx, inputs, now, dialect);
      const revisionIds = inputs.map((i) => {
        const id = ids.get(revisionKey(i.updateId.toLowerCase(), i.revisionNumber));
        if (id === undefined) throw new AppError('PB_ERR_DB', 'revision id allocation returned no id');
        return id;
      });
      const rows = buildRevisionRows(inputs, revisionIds, now);

      // Replace children only of revisions stored before (a fresh import skips the deletes).
      for (const chunk of chunkRows([...new Set(revisionIds)], 1, 4000)) {
        const existing = await trx
          .selectFrom('revisions')
          .select('revision_id')
          .where('revision_id', 'in', chunk)
          .execute();
        const replace = existing.map((r) => r.revision_id);
        if (replace.length === 0) continue;
        for (const table of childTables)
          await trx.deleteFrom(table).where('revision_id', 'in', replace).execute();
      }

      const c = revisionColumns;
      const insert = <T extends keyof Database>(
        spec: BulkInsertSpec<T>,
        values: readonly (readonly unknown[])[],
      ) => bulkInsert(trx, dialect, spec, values);
      await insert(
        {
          table: 'revisions',
          columns: c.revisions,
          onConflict: `on conflict ("revision_id") do update set ${revisionUpdateSet}`,
        },
        rows.revisions,
      );
      await insert(
        {
          table: 'files',
          columns: c.files,
          onConflict:
            'on conflict ("sha1") do update set "sha256" = coalesce("files"."sha256", excluded."sha256"), "mu_url" = coalesce(excluded."mu_url", "files"."mu_url")',
        },
        rows.files,
      );
      // An older revision imported late must not replace the current one.
      await insert(
        {
          table: 'categories',
          columns: c.categoryInfo,
          onConflict: `on conflict ("update_id") do update set ${categoryUpdateSet} where "categories"."revision_number" <= excluded."revision_number"`,
        },
        rows.categoryInfo,
      );
      await insert({ table: 'revision_documents', columns: c.documents }, rows.documents);
      await insert({ table: 'revision_fragments', columns: c.fragments }, rows.fragments);
      await insert({ table: 'revision_localized', columns: c.localized }, rows.localized);
      await insert({ table: 'revision_prerequisites', columns: c.prerequisites }, rows.prerequisites);
      await insert({ table: 'revision_bundles', columns: c.bundles }, rows.bundles);
      await insert({ table: 'revision_supersedes', columns: c.supersedes }, rows.supersedes);
      await insert({ table: 'revision_categories', columns: c.categories }, rows.categories);
      await insert({ table: 'revision_files', columns: c.revisionFiles }, rows.revisionFiles);
      await insert({ table: 'revision_drivers', columns: c.drivers }, rows.drivers);
      return revisionIds;
    });
  }

  async getById(revisionId: number): Promise<RevisionRecord | undefined> {
    const row = await this.db
      .selectFrom('revisions')
      .selectAll()
      .where('revision_id', '=', revisionId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async getByIdentity(identity: RevisionIdentity): Promise<RevisionRecord | undefined> {
    const row = await this.db
      .selectFrom('revisions')
      .selectAll()
      .where('update_id', '=', identity.updateId.toLowerCase())
      .where('revision_number', '=', identity.revisionNumber)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async getManyByIds(revisionIds: readonly number[]): Promise<Map<number, RevisionRecord>> {
    const out = new Map<number, RevisionRecord>();
    for (const chunk of chunkRows([...new Set(revisionIds)], 1, 4000)) {
      const rows = await this.db
        .selectFrom('revisions')
        .selectAll()
        .where('revision_id', 'in', chunk)
        .execute();
      for (const r of rows) out.set(r.revision_id, toRecord(r));
    }
    return out;
  }

  /** Bulk identity -> revision id lookup (allocated ids; a removed revision keeps its id). */
  lookupIds(identities: readonly RevisionIdentity[]): Promise<Map<string, number>> {
    return lookupRevisionIds(this.db, identities);
  }

  /**
   * Which of `updateIds` have any stored revision (any generation, so a rollback keeps their states).
   * Lower-case ids out. One query per 4,000 ids (a 156 list may name tens of thousands), over the
   * `revisions_identity` index.
   */
  async knownUpdateIds(updateIds: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    const wanted = [...new Set(updateIds.map((u) => u.toLowerCase()))];
    for (const chunk of chunkRows(wanted, 1, 4000)) {
      const rows = await this.db
        .selectFrom('revisions')
        .select('update_id')
        .distinct()
        .where('update_id', 'in', chunk)
        .execute();
      for (const r of rows) known.add(r.update_id);
    }
    return known;
  }

  /** The stored revisions of an update, highest revision number first. */
  async listByUpdateId(updateId: string): Promise<RevisionRecord[]> {
    const rows = await this.db
      .selectFrom('revisions')
      .selectAll()
      .where('update_id', '=', updateId.toLowerCase())
      .orderBy('revision_number', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  async getDocument(revisionId: number): Promise<StoredBlob | undefined> {
    const row = await this.db
      .selectFrom('revision_documents')
      .select(['codec', 'raw_size', 'data'])
      .where('revision_id', '=', revisionId)
      .executeTakeFirst();
    return row && { codec: row.codec, rawSize: row.raw_size, data: row.data };
  }

  /** Precomputed fragments of one kind for many revisions (still encoded; see decodeBlob). */
  async getFragments(revisionIds: readonly number[], kind: FragmentKind): Promise<Map<number, StoredBlob>> {
    const out = new Map<number, StoredBlob>();
    for (const chunk of chunkRows([...new Set(revisionIds)], 1, 4000)) {
      const rows = await this.db
        .selectFrom('revision_fragments')
        .select(['revision_id', 'codec', 'raw_size', 'data'])
        .where('kind', '=', kind)
        .where('revision_id', 'in', chunk)
        .execute();
      for (const r of rows) out.set(r.revision_id, { codec: r.codec, rawSize: r.raw_size, data: r.data });
    }
    return out;
  }

  /** Localized properties of the given revisions in the given languages (all languages if omitted). */
  async getLocalized(
    revisionIds: readonly number[],
    languages?: readonly string[],
  ): Promise<LocalizedRecord[]> {
    const out: LocalizedRecord[] = [];
    for (const chunk of chunkRows([...new Set(revisionIds)], 1, 4000)) {
      let q = this.db.selectFrom('revision_localized').selectAll().where('revision_id', 'in', chunk);
      if (languages !== undefined && languages.length > 0) q = q.where('language', 'in', [...languages]);
      for (const r of await q.execute())
        out.push({
          revisionId: r.revision_id,
          language: r.language,
          title: r.title,
          description: r.description,
          fragment: { codec: r.codec, rawSize: r.raw_size, data: r.data },
        });
    }
    return out;
  }

  async getRelationships(revisionId: number): Promise<RevisionRelationships> {
    const [pre, bun, sup, cat] = await Promise.all([
      this.db
        .selectFrom('revision_prerequisites')
        .selectAll()
        .where('revision_id', '=', revisionId)
        .orderBy('clause_index')
        .orderBy('update_id')
        .execute(),
      this.db
        .selectFrom('revision_bundles')
        .selectAll()
        .where('revision_id', '=', revisionId)
        .orderBy('group_index')
        .orderBy('update_id')
        .execute(),
      this.db
        .selectFrom('revision_supersedes')
        .select('update_id')
        .where('revision_id', '=', revisionId)
        .orderBy('update_id')
        .execute(),
      this.db
        .selectFrom('revision_categories')
        .select(['category_update_id', 'kind'])
        .where('revision_id', '=', revisionId)
        .orderBy('category_update_id')
        .execute(),
    ]);
    const prerequisites: { isCategory: boolean; updateIds: string[] }[] = [];
    for (const r of pre) {
      const clause = (prerequisites[r.clause_index] ??= { isCategory: r.is_category === 1, updateIds: [] });
      clause.updateIds.push(r.update_id);
    }
    const bundledUpdates: RevisionIdentity[][] = [];
    for (const r of bun)
      (bundledUpdates[r.group_index] ??= []).push({
        updateId: r.update_id,
        revisionNumber: r.revision_number,
      });
    return {
      prerequisites: prerequisites.filter((c) => c !== undefined),
      bundledUpdates: bundledUpdates.filter((g) => g !== undefined),
      supersededUpdateIds: sup.map((r) => r.update_id),
      categories: cat.map((r) => ({ updateId: r.category_update_id, kind: r.kind })),
    };
  }

  /** Files of a revision in document order. */
  async getFiles(revisionId: number) {
    const rows = await this.db
      .selectFrom('revision_files')
      .innerJoin('files', 'files.sha1', 'revision_files.sha1')
      .select([
        'revision_files.position',
        'revision_files.file_name',
        'revision_files.patching_type',
        'files.sha1',
        'files.sha256',
        'files.size',
        'files.mu_url',
        'files.content_state',
      ])
      .where('revision_files.revision_id', '=', revisionId)
      .orderBy('revision_files.position')
      .execute();
    return rows.map((r) => ({
      fileName: r.file_name,
      patchingType: r.patching_type,
      sha1: r.sha1,
      sha256: r.sha256,
      size: r.size,
      muUrl: r.mu_url,
      contentState: r.content_state,
    }));
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('revisions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

export function toRecord(r: Selectable<RevisionsTable>): RevisionRecord {
  return {
    revisionId: r.revision_id,
    updateId: r.update_id,
    revisionNumber: r.revision_number,
    updateType: r.update_type,
    isCategory: r.is_category === 1,
    isBundle: r.is_bundle === 1,
    isExplicitlyDeployable: r.is_explicitly_deployable === 1,
    publicationState: r.publication_state,
    handler: r.handler,
    title: r.title,
    kbArticleId: r.kb_article_id,
    msrcSeverity: r.msrc_severity,
    creationDateAt: r.creation_date_at,
    maxDownloadSize: r.max_download_size,
    importedAt: r.imported_at,
    updatedAt: r.updated_at,
    securityBulletinIds: r.security_bulletin_ids === null ? [] : r.security_bulletin_ids.split(','),
    installationBehavior: behaviourOf(
      r.is_install_user_input,
      r.is_install_network_required,
      r.install_impact,
      r.install_reboot_behavior,
    ),
    uninstallationBehavior: behaviourOf(
      r.is_uninstall_user_input,
      r.is_uninstall_network_required,
      r.uninstall_impact,
      r.uninstall_reboot_behavior,
    ),
    uninstallNotes: r.uninstall_notes,
  };
}

function behaviourOf(
  userInput: number | null,
  network: number | null,
  impact: string | null,
  reboot: string | null,
): InstallBehaviorInput | null {
  if (impact === null || reboot === null) return null;
  return {
    canRequestUserInput: userInput === 1,
    requiresNetworkConnectivity: network === 1,
    impact,
    rebootBehavior: reboot,
  };
}
