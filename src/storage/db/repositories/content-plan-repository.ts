import { filesToHold } from '../../../domain/index.js';
import { chunkRows, type Executor } from '../transaction.js';

/**
 * The catalog side of content planning: which revisions a download mode covers and which files they name.
 * Id lists of any length are read in chunks (SQLite's parameter limit); results are deduplicated, in no
 * particular order.
 */
export class ContentPlanRepository {
  constructor(private readonly db: Executor) {}

  /** Every revision the generation serves. */
  async memberRevisionIds(generationId: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('generation_members')
      .select('revision_id')
      .where('generation_id', '=', generationId)
      .execute();
    return rows.map((r) => r.revision_id);
  }

  /** Updates approved for installation in at least one group and not declined. */
  async installApprovedUpdateIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('approvals')
      .select('update_id')
      .distinct()
      .where('action', '=', 'install')
      .where('update_id', 'not in', (eb) => eb.selectFrom('declines').select('update_id'))
      .execute();
    return rows.map((r) => r.update_id);
  }

  /** The revisions of these updates that the generation serves. */
  async memberRevisionIdsOfUpdates(generationId: number, updateIds: readonly string[]): Promise<number[]> {
    const out = new Set<number>();
    for (const chunk of chunkRows(updateIds, 1, 4000)) {
      const rows = await this.db
        .selectFrom('revisions')
        .innerJoin('generation_members', 'generation_members.revision_id', 'revisions.revision_id')
        .select('revisions.revision_id')
        .where('generation_members.generation_id', '=', generationId)
        .where('revisions.update_id', 'in', chunk)
        .execute();
      for (const r of rows) out.add(r.revision_id);
    }
    return [...out];
  }

  /**
   * The revision ids of the children these bundles name in BundledUpdates (by exact identity); a child
   * whose identity has no revision id yet is left out.
   */
  async bundledRevisionIds(revisionIds: readonly number[]): Promise<number[]> {
    const out = new Set<number>();
    for (const chunk of chunkRows(revisionIds, 1, 4000)) {
      const rows = await this.db
        .selectFrom('revision_bundles')
        .innerJoin('revision_ids', (j) =>
          j
            .onRef('revision_ids.update_id', '=', 'revision_bundles.update_id')
            .onRef('revision_ids.revision_number', '=', 'revision_bundles.revision_number'),
        )
        .select('revision_ids.revision_id')
        .where('revision_bundles.revision_id', 'in', chunk)
        .execute();
      for (const r of rows) out.add(r.revision_id);
    }
    return [...out];
  }

  /**
   * The SHA-1s of the files these revisions name; with `express: false` without the express-installation
   * files of revisions that also name a full file (domain/express-files.ts). Default: every file.
   */
  async fileSha1sOf(revisionIds: readonly number[], options: { express?: boolean } = {}): Promise<Buffer[]> {
    const express = options.express ?? true;
    const seen = new Map<string, Buffer>();
    for (const chunk of chunkRows(revisionIds, 1, 4000)) {
      const rows = await this.db
        .selectFrom('revision_files')
        .select(['revision_id', 'sha1', 'patching_type'])
        .where('revision_id', 'in', chunk)
        .execute();
      for (const files of groupByRevision(rows))
        for (const f of filesToHold(
          files.map((r) => ({ sha1: r.sha1, patchingType: r.patching_type })),
          express,
        ))
          seen.set(f.sha1.toString('hex'), f.sha1);
    }
    return [...seen.values()];
  }
}

/** Rows of several revisions, one list per revision (in row order). */
export function groupByRevision<T extends { readonly revision_id: number }>(rows: readonly T[]): T[][] {
  const by = new Map<number, T[]>();
  for (const r of rows) {
    let list = by.get(r.revision_id);
    if (list === undefined) by.set(r.revision_id, (list = []));
    list.push(r);
  }
  return [...by.values()];
}
