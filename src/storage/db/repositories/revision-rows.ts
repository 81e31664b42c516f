import { AppError } from '../../../errors.js';
import { toStoredBlob } from '../blob-codec.js';
import type { Database } from '../database.js';
import { boolToInt } from '../transaction.js';
import type { InstallBehaviorInput, RevisionInput } from './revision-types.js';

type Columns<T extends keyof Database> = readonly (keyof Database[T] & string)[];
type Row = unknown[];

/** Column order of each table's value arrays (the bulk INSERT column lists). */
export const revisionColumns = {
  revisions: [
    'revision_id',
    'update_id',
    'revision_number',
    'update_type',
    'is_category',
    'is_bundle',
    'is_explicitly_deployable',
    'publication_state',
    'handler',
    'title',
    'kb_article_id',
    'msrc_severity',
    'creation_date_at',
    'max_download_size',
    'imported_at',
    'updated_at',
    'security_bulletin_ids',
    'is_install_user_input',
    'is_install_network_required',
    'install_impact',
    'install_reboot_behavior',
    'is_uninstall_user_input',
    'is_uninstall_network_required',
    'uninstall_impact',
    'uninstall_reboot_behavior',
    'uninstall_notes',
  ] satisfies Columns<'revisions'>,
  documents: ['revision_id', 'codec', 'raw_size', 'data'] satisfies Columns<'revision_documents'>,
  fragments: ['revision_id', 'kind', 'codec', 'raw_size', 'data'] satisfies Columns<'revision_fragments'>,
  localized: [
    'revision_id',
    'language',
    'title',
    'description',
    'codec',
    'raw_size',
    'data',
  ] satisfies Columns<'revision_localized'>,
  prerequisites: [
    'revision_id',
    'clause_index',
    'update_id',
    'is_category',
  ] satisfies Columns<'revision_prerequisites'>,
  bundles: [
    'revision_id',
    'group_index',
    'update_id',
    'revision_number',
  ] satisfies Columns<'revision_bundles'>,
  supersedes: ['revision_id', 'update_id'] satisfies Columns<'revision_supersedes'>,
  categories: ['revision_id', 'category_update_id', 'kind'] satisfies Columns<'revision_categories'>,
  files: [
    'sha1',
    'sha256',
    'size',
    'name',
    'mu_url',
    'content_state',
    'state_changed_at',
    'attempts',
    'created_at',
  ] satisfies Columns<'files'>,
  revisionFiles: [
    'revision_id',
    'position',
    'sha1',
    'file_name',
    'patching_type',
  ] satisfies Columns<'revision_files'>,
  drivers: [
    'revision_id',
    'position',
    'hardware_id',
    'ver_date',
    'ver_version',
    'class',
    'manufacturer',
    'provider',
    'model',
  ] satisfies Columns<'revision_drivers'>,
  categoryInfo: [
    'update_id',
    'revision_id',
    'revision_number',
    'category_type',
    'title',
    'display_order',
    'prohibits_subcategories',
    'prohibits_updates',
    'excluded_by_default',
    'updated_at',
  ] satisfies Columns<'categories'>,
} as const;

/** Value arrays per table, in `revisionColumns` order. */
export type RevisionRows = { -readonly [K in keyof typeof revisionColumns]: Row[] };

function behaviourValues(b: InstallBehaviorInput | null | undefined): unknown[] {
  if (b == null) return [null, null, null, null];
  return [
    boolToInt(b.canRequestUserInput),
    boolToInt(b.requiresNetworkConnectivity),
    b.impact,
    b.rebootBehavior,
  ];
}

/**
 * Flattens revision inputs into table rows (value arrays in `revisionColumns` order), de-duplicating what the
 * source may repeat (the same file in two revisions, the same id twice in a clause) so multi-row upserts never
 * touch a row twice. When a batch holds the same identity twice, the last one wins.
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
    drivers: [],
    categoryInfo: [],
  };
  const lastIndex = new Map<number, number>();
  revisionIds.forEach((id, i) => lastIndex.set(id, i));
  const files = new Map<string, Row>();
  const categoryInfo = new Map<string, Row>();

  inputs.forEach((input, i) => {
    const revisionId = revisionIds[i]!;
    if (lastIndex.get(revisionId) !== i) return;
    const updateId = input.updateId.toLowerCase();
    const isCategory = input.updateType === 'Category';
    rows.revisions.push([
      revisionId,
      updateId,
      input.revisionNumber,
      input.updateType,
      boolToInt(isCategory),
      boolToInt((input.bundledUpdates ?? []).some((g) => g.length > 0)),
      boolToInt(input.isExplicitlyDeployable),
      input.publicationState ?? null,
      input.handler ?? null,
      input.title ?? null,
      input.kbArticleId ?? null,
      input.msrcSeverity ?? null,
      input.creationDateAt ?? null,
      input.maxDownloadSize ?? null,
      now,
      now,
      input.securityBulletinIds !== undefined && input.securityBulletinIds.length > 0
        ? input.securityBulletinIds.join(',')
        : null,
      ...behaviourValues(input.installationBehavior),
      ...behaviourValues(input.uninstallationBehavior),
      input.uninstallNotes ?? null,
    ]);
    const doc = toStoredBlob(input.document);
    rows.documents.push([revisionId, doc.codec, doc.rawSize, doc.data]);
    const core = toStoredBlob(input.coreFragment);
    rows.fragments.push([revisionId, 'core', core.codec, core.rawSize, core.data]);
    const extended = toStoredBlob(input.extendedFragment);
    rows.fragments.push([revisionId, 'extended', extended.codec, extended.rawSize, extended.data]);
    const languages = new Set<string>();
    for (const l of input.localized ?? []) {
      if (languages.has(l.language)) continue;
      languages.add(l.language);
      const blob = toStoredBlob(l.fragment);
      rows.localized.push([
        revisionId,
        l.language,
        l.title ?? null,
        l.description ?? null,
        blob.codec,
        blob.rawSize,
        blob.data,
      ]);
    }
    (input.prerequisites ?? []).forEach((clause, clauseIndex) => {
      const isCategoryClause = boolToInt(clause.isCategory);
      for (const target of new Set(clause.updateIds.map((u) => u.toLowerCase())))
        rows.prerequisites.push([revisionId, clauseIndex, target, isCategoryClause]);
    });
    (input.bundledUpdates ?? []).forEach((group, groupIndex) => {
      const seen = new Set<string>();
      for (const child of group) {
        const childId = child.updateId.toLowerCase();
        const key = `${childId}/${child.revisionNumber}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rows.bundles.push([revisionId, groupIndex, childId, child.revisionNumber]);
      }
    });
    for (const target of new Set((input.supersededUpdateIds ?? []).map((u) => u.toLowerCase())))
      rows.supersedes.push([revisionId, target]);
    const categorySeen = new Set<string>();
    for (const c of input.categories ?? []) {
      const categoryId = c.updateId.toLowerCase();
      if (categorySeen.has(categoryId)) continue;
      categorySeen.add(categoryId);
      rows.categories.push([revisionId, categoryId, c.kind]);
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
      files.set(key, [
        f.sha1,
        f.sha256 ?? prev?.[1] ?? null,
        f.size,
        f.name,
        f.muUrl ?? prev?.[4] ?? null,
        'absent',
        now,
        0,
        now,
      ]);
      rows.revisionFiles.push([revisionId, position, f.sha1, f.name, f.patchingType ?? null]);
    });
    (input.drivers ?? []).forEach((d, position) => {
      rows.drivers.push([
        revisionId,
        position,
        d.hardwareId.toLowerCase(),
        d.verDate,
        d.verVersion,
        d.class ?? null,
        d.manufacturer ?? null,
        d.provider ?? null,
        d.model ?? null,
      ]);
    });
    if (isCategory) {
      const prev = categoryInfo.get(updateId);
      if (prev === undefined || (prev[2] as number) <= input.revisionNumber)
        categoryInfo.set(updateId, [
          updateId,
          revisionId,
          input.revisionNumber,
          input.category?.categoryType ?? null,
          input.title ?? null,
          input.category?.displayOrder ?? null,
          boolToInt(input.category?.prohibitsSubcategories),
          boolToInt(input.category?.prohibitsUpdates),
          boolToInt(input.category?.excludedByDefault),
          now,
        ]);
    }
  });
  rows.files = [...files.values()];
  rows.categoryInfo = [...categoryInfo.values()];
  return rows;
}
