import type { RevisionIdentity } from './revision-types.js';
import { chunkRows, type Executor } from '../transaction.js';

/**
 * The catalog reads behind a `content` deployment change: which updates use files that arrived (or were
 * withdrawn), which bundles install those updates, and which of them are approved for installation.
 */
export class ContentChangeRepository {
  constructor(private readonly db: Executor) {}

  /** The identities of the revisions that name any of these files (distinct, in no particular order). */
  async revisionsUsingFiles(sha1s: readonly Buffer[]): Promise<RevisionIdentity[]> {
    const out: RevisionIdentity[] = [];
    for (const chunk of chunkRows(sha1s, 1, 4000)) {
      const rows = await this.db
        .selectFrom('revision_files')
        .innerJoin('revisions', 'revisions.revision_id', 'revision_files.revision_id')
        .select(['revisions.update_id', 'revisions.revision_number'])
        .distinct()
        .where('revision_files.sha1', 'in', chunk)
        .execute();
      for (const r of rows) out.push({ updateId: r.update_id, revisionNumber: r.revision_number });
    }
    return out;
  }

  /** The identities of the bundles whose BundledUpdates name this exact revision (distinct). */
  async bundlesInstalling(child: RevisionIdentity): Promise<RevisionIdentity[]> {
    const rows = await this.db
      .selectFrom('revision_bundles')
      .innerJoin('revisions', 'revisions.revision_id', 'revision_bundles.revision_id')
      .select(['revisions.update_id', 'revisions.revision_number'])
      .distinct()
      .where('revision_bundles.update_id', '=', child.updateId)
      .where('revision_bundles.revision_number', '=', child.revisionNumber)
      .execute();
    return rows.map((r) => ({ updateId: r.update_id, revisionNumber: r.revision_number }));
  }

  /** Those of these update ids that have an install approval in any group (distinct, as stored). */
  async installApprovedAmong(updateIds: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const chunk of chunkRows([...new Set(updateIds)], 1, 4000)) {
      const rows = await this.db
        .selectFrom('approvals')
        .select('update_id')
        .distinct()
        .where('action', '=', 'install')
        .where('update_id', 'in', chunk)
        .execute();
      for (const r of rows) out.push(r.update_id);
    }
    return out;
  }
}
