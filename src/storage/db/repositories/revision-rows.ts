import type { Insertable } from 'kysely';
import { AppError } from '../../../errors.js';
import { toStoredBlob } from '../blob-codec.js';
import type { Database } from '../database.js';
import { boolToInt } from '../transaction.js';
import type { RevisionInput } from './revision-types.js';

type Rows<T extends keyof Database> = Insertable<Database[T]>[];

export interface RevisionRows {
  revisions: Rows<'revisions'>;
  documents: Rows<'revision_documents'>;
  fragments: Rows<'revision_fragments'>;
  localized: Rows<'revision_localized'>;
  prerequisites: Rows<'revision_prerequisites'>;
  bundles: Rows<'revision_bundles'>;
  supersedes: Rows<'revision_supersedes'>;
  categories: Rows<'revision_categories'>;
  files: Rows<'files'>;
  revisionFiles: Rows<'revision_files'>;
  categoryInfo: Rows<'categories'>;
}

/**
 * Flattens revision inputs into table rows, de-duplicating what the source may repeat (the same file
 * in two revisions, the same id twice in a clause) so multi-row upserts never touch a row twice.
 * When a batch holds the same identity twice, the last one wins.
 */
export function buildRevisionRows(
  inputs: readonly RevisionInput[],
  revisionIds: number[],
  now: number,
): RevisionRows {
  const rows: RevisionRows = {
    revisions: [],
    documents: [],
    fragments: [],
    localized: [],
    prerequisites: [],
    bundles: [],
    supersedes: [],
    categories: [],
    files: [],
    revisionFiles: [],
    categoryInfo: [],
  };
  const lastIndex = new Map<number, number>();
  revisionIds.forEach((id, i) => lastIndex.set(id, i));
  const files = new Map<string, Rows<'files'>[number]>();
  const categoryInfo = new Map<string, Rows<'categories'>[number]>();

  inputs.forEach((input, i) => {
    const revisionId = revisionIds[i]!;
    if (lastIndex.get(revisionId) !== i) return;
    const updateId = input.updateId.toLowerCase();
    const isCategory = input.updateType === 'Category';
    rows.revisions.push({
      revision_id: revisionId,
      update_id: updateId,
      revision_number: input.revisionNumber,
      update_type: input.updateType,
      is_category: boolToInt(isCategory),
      is_bundle: boolToInt((input.bundledUpdates ?? []).some((g) => g.length > 0)),
      is_explicitly_deployable: boolToInt(input.isExplicitlyDeployable),
      publication_state: input.publicationState ?? null,
      handler: input.handler ?? null,
      title: input.title ?? null,
      kb_article_id: input.kbArticleId ?? null,
      msrc_severity: input.msrcSeverity ?? null,
      creation_date_at: input.creationDateAt ?? null,
      max_download_size: input.maxDownloadSize ?? null,
      imported_at: now,
      updated_at: now,
    });
    const doc = toStoredBlob(input.document);
    rows.documents.push({ revision_id: revisionId, codec: doc.codec, raw_size: doc.rawSize, data: doc.data });
    for (const [kind, blob] of [
      ['core', toStoredBlob(input.coreFragment)],
      ['extended', toStoredBlob(input.extendedFragment)],
    ] as const)
      rows.fragments.push({
        revision_id: revisionId,
        kind,
        codec: blob.codec,
        raw_size: blob.rawSize,
        data: blob.data,
      });
    const languages = new Set<string>();
    for (const l of input.localized ?? []) {
      if (languages.has(l.language)) continue;
      languages.add(l.language);
      const blob = toStoredBlob(l.fragment);
      rows.localized.push({
        revision_id: revisionId,
        language: l.language,
        title: l.title ?? null,
        description: l.description ?? null,
        codec: blob.codec,
        raw_size: blob.rawSize,
        data: blob.data,
      });
    }
    (input.prerequisites ?? []).forEach((clause, clauseIndex) => {
      for (const target of new Set(clause.updateIds.map((u) => u.toLowerCase())))
        rows.prerequisites.push({
          revision_id: revisionId,
          clause_index: clauseIndex,
          update_id: target,
          is_category: boolToInt(clause.isCategory),
        });
    });
    (input.bundledUpdates ?? []).forEach((group, groupIndex) => {
      const seen = new Set<string>();
      for (const child of group) {
        const childId = child.updateId.toLowerCase();
        const key = `${childId}/${child.revisionNumber}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rows.bundles.push({
          revision_id: revisionId,
          group_index: groupIndex,
          update_id: childId,
          revision_number: child.revisionNumber,
        });
      }
    });
    for (const target of new Set((input.supersededUpdateIds ?? []).map((u) => u.toLowerCase())))
      rows.supersedes.push({ revision_id: revisionId, update_id: target });
    const categorySeen = new Set<string>();
    for (const c of input.categories ?? []) {
      const categoryId = c.updateId.toLowerCase();
      if (categorySeen.has(categoryId)) continue;
      categorySeen.add(categoryId);
      rows.categories.push({ revision_id: revisionId, category_update_id: categoryId, kind: c.kind });
    }
    (input.files ?? []).forEach((f, position) => {
      if (f.sha1.length !== 20)
        throw new AppError('PB_ERR_INVALID_PARAMETER', `file ${f.name}: SHA-1 must be 20 bytes`);
      if (f.sha256 != null && f.sha256.length !== 32)
        throw new AppError('PB_ERR_INVALID_PARAMETER', `file ${f.name}: SHA-256 must be 32 bytes`);
      if (!Number.isSafeInteger(f.size) || f.size < 0)
        throw new AppError('PB_ERR_INVALID_PARAMETER', `file ${f.name}: bad size ${f.size}`);
      const key = f.sha1.toString('hex');
      const prev = files.get(key);
      files.set(key, {
        sha1: f.sha1,
        sha256: f.sha256 ?? prev?.sha256 ?? null,
        size: f.size,
        name: f.name,
        mu_url: f.muUrl ?? prev?.mu_url ?? null,
        content_state: 'absent',
        state_changed_at: now,
        attempts: 0,
        created_at: now,
      });
      rows.revisionFiles.push({
        revision_id: revisionId,
        position,
        sha1: f.sha1,
        file_name: f.name,
        patching_type: f.patchingType ?? null,
      });
    });
    if (isCategory) {
      const prev = categoryInfo.get(updateId);
      if (prev === undefined || prev.revision_number <= input.revisionNumber)
        categoryInfo.set(updateId, {
          update_id: updateId,
          revision_id: revisionId,
          revision_number: input.revisionNumber,
          category_type: input.category?.categoryType ?? null,
          title: input.title ?? null,
          display_order: input.category?.displayOrder ?? null,
          prohibits_subcategories: boolToInt(input.category?.prohibitsSubcategories),
          prohibits_updates: boolToInt(input.category?.prohibitsUpdates),
          excluded_by_default: boolToInt(input.category?.excludedByDefault),
          updated_at: now,
        });
    }
  });
  rows.files = [...files.values()];
  rows.categoryInfo = [...categoryInfo.values()];
  return rows;
}
