import { sql } from 'kysely';
import type { StoredBlob } from '../blob-codec.js';
import type { ApprovalAction } from '../database.js';
import { chunkRows, type Executor } from '../transaction.js';

/** A row of the deployment change log (deployment_changes) an anchor handed downstream names. */
export interface DeploymentPoint {
  readonly seq: number;
  readonly at: number;
}

/** A current approval whose last change is `changeSeq`, as GetDeployments sends it. */
export interface FeedApproval {
  readonly updateId: string;
  readonly groupId: string;
  readonly action: ApprovalAction;
  readonly deadlineAt: number | null;
  readonly approvedBy: string;
  readonly approvedAt: number;
  readonly changeSeq: number;
}

export interface FeedGroup {
  readonly groupId: string;
  readonly parentGroupId: string | null;
  readonly name: string;
  readonly isBuiltin: boolean;
}

/** The highest served revision of an update in one generation (never a quarantined one). */
export interface FeedRevision {
  readonly revisionId: number;
  readonly revisionNumber: number;
}

/**
 * Read side of GetDeployments on the upstream role (src/upstream-service): the deployment anchors are rows of
 * `deployment_changes`, the log every approval change appends to in its own transaction (approval-repository),
 * so a window (after, upTo] of that sequence holds every approval set or cleared in it.
 */
export class DeploymentFeedRepository {
  constructor(private readonly db: Executor) {}

  async latest(): Promise<DeploymentPoint | undefined> {
    const row = await this.db
      .selectFrom('deployment_changes')
      .select(['change_seq', 'changed_at'])
      .orderBy('change_seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && { seq: Number(row.change_seq), at: Number(row.changed_at) };
  }

  async point(seq: number): Promise<DeploymentPoint | undefined> {
    const row = await this.db
      .selectFrom('deployment_changes')
      .select(['change_seq', 'changed_at'])
      .where('change_seq', '=', seq)
      .executeTakeFirst();
    return row && { seq: Number(row.change_seq), at: Number(row.changed_at) };
  }

  /** The last row before `seq` (sequences may have gaps), undefined when none. */
  async pointBefore(seq: number): Promise<DeploymentPoint | undefined> {
    const row = await this.db
      .selectFrom('deployment_changes')
      .select(['change_seq', 'changed_at'])
      .where('change_seq', '<', seq)
      .orderBy('change_seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && { seq: Number(row.change_seq), at: Number(row.changed_at) };
  }

  async groups(): Promise<FeedGroup[]> {
    const rows = await this.db
      .selectFrom('computer_groups')
      .select(['group_id', 'parent_group_id', 'name', 'is_builtin'])
      .orderBy('group_id')
      .execute();
    return rows.map((r) => ({
      groupId: r.group_id,
      parentGroupId: r.parent_group_id,
      name: r.name,
      isBuiltin: r.is_builtin !== 0,
    }));
  }

  /** Current approvals set in (after, upTo], each with the sequence of its last set in that window. */
  async approvalsChanged(after: number, upTo: number): Promise<FeedApproval[]> {
    const rows = await this.db
      .selectFrom('approvals as a')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('deployment_changes')
            .select(['update_id', 'group_id', sql<number>`max(change_seq)`.as('seq')])
            .where('kind', '=', 'approval')
            .where('change_seq', '>', after)
            .where('change_seq', '<=', upTo)
            .groupBy(['update_id', 'group_id'])
            .as('c'),
        (j) => j.onRef('c.update_id', '=', 'a.update_id').onRef('c.group_id', '=', 'a.group_id'),
      )
      .select([
        'a.update_id',
        'a.group_id',
        'a.action',
        'a.deadline_at',
        'a.approved_by',
        'a.approved_at',
        'c.seq',
      ])
      .orderBy('c.seq')
      .execute();
    return rows.map((r) => ({
      updateId: r.update_id,
      groupId: r.group_id,
      action: r.action,
      deadlineAt: r.deadline_at === null ? null : Number(r.deadline_at),
      approvedBy: r.approved_by,
      approvedAt: Number(r.approved_at),
      changeSeq: Number(r.seq),
    }));
  }

  /** (update, group) approvals cleared in (after, upTo] that are not set again now. */
  async approvalsCleared(after: number, upTo: number): Promise<{ updateId: string; groupId: string }[]> {
    const rows = await this.db
      .selectFrom('deployment_changes as c')
      .select(['c.update_id', 'c.group_id'])
      .distinct()
      .where('c.kind', '=', 'approval_cleared')
      .where('c.change_seq', '>', after)
      .where('c.change_seq', '<=', upTo)
      .where('c.group_id', 'is not', null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('approvals as a')
              .select('a.update_id')
              .whereRef('a.update_id', '=', 'c.update_id')
              .whereRef('a.group_id', '=', 'c.group_id'),
          ),
        ),
      )
      .execute();
    return rows.map((r) => ({ updateId: r.update_id, groupId: r.group_id! }));
  }

  async declinedUpdateIds(): Promise<string[]> {
    const rows = await this.db.selectFrom('declines').select('update_id').orderBy('update_id').execute();
    return rows.map((r) => r.update_id);
  }

  async acceptedEulaIds(): Promise<string[]> {
    const rows = await this.db.selectFrom('accepted_eulas').select('eula_id').orderBy('eula_id').execute();
    return rows.map((r) => r.eula_id);
  }

  /** Per update id, the highest revision served by `generationId` that is not quarantined. */
  async highestServed(
    generationId: number,
    updateIds: readonly string[],
  ): Promise<Map<string, FeedRevision>> {
    const out = new Map<string, FeedRevision & { updateId: string }>();
    const ids = [...new Set(updateIds.map((u) => u.toLowerCase()))];
    for (const chunk of chunkRows(ids, 1, 1000)) {
      const rows = await this.db
        .selectFrom('generation_members as gm')
        .innerJoin('revisions as r', 'r.revision_id', 'gm.revision_id')
        .leftJoin('quarantine as qu', (j) =>
          j.onRef('qu.update_id', '=', 'r.update_id').onRef('qu.revision_number', '=', 'r.revision_number'),
        )
        .select(['r.revision_id', 'r.update_id', 'r.revision_number'])
        .where('gm.generation_id', '=', generationId)
        .where('r.update_id', 'in', chunk)
        .where('qu.update_id', 'is', null)
        .execute();
      for (const r of rows) {
        const had = out.get(r.update_id);
        if (had !== undefined && had.revisionNumber >= r.revision_number) continue;
        out.set(r.update_id, {
          updateId: r.update_id,
          revisionId: r.revision_id,
          revisionNumber: r.revision_number,
        });
      }
    }
    return out;
  }

  /** The stored original documents of these revisions (the caller caches what it derives from them). */
  async documents(revisionIds: readonly number[]): Promise<Map<number, StoredBlob>> {
    const out = new Map<number, StoredBlob>();
    for (const chunk of chunkRows([...new Set(revisionIds)], 1, 500)) {
      const rows = await this.db
        .selectFrom('revision_documents')
        .select(['revision_id', 'codec', 'raw_size', 'data'])
        .where('revision_id', 'in', chunk)
        .execute();
      for (const d of rows)
        out.set(d.revision_id, { codec: d.codec, rawSize: Number(d.raw_size), data: Buffer.from(d.data) });
    }
    return out;
  }
}
