import { chunkRows, type Executor } from '../transaction.js';

export interface DeploymentChange {
  readonly changeSeq: number;
  readonly changedAt: number;
  readonly updateId: string;
  readonly revisionId: number | null;
  readonly groupId: string | null;
  readonly generationId: number | null;
  readonly kind: string;
}

/**
 * The deployment change sequence (a monotonic bigint). A client's session cookie carries the highest
 * sequence it was sent; ChangedUpdates = changes after it. Approvals append here automatically;
 * generation activation appends revision-level changes through `append`.
 */
export class DeploymentChangeRepository {
  constructor(private readonly db: Executor) {}

  async append(
    changes: readonly Omit<DeploymentChange, 'changeSeq' | 'changedAt'>[],
    now = Date.now(),
  ): Promise<void> {
    for (const chunk of chunkRows(changes, 6))
      await this.db
        .insertInto('deployment_changes')
        .values(
          chunk.map((c) => ({
            changed_at: now,
            update_id: c.updateId.toLowerCase(),
            revision_id: c.revisionId,
            group_id: c.groupId?.toLowerCase() ?? null,
            generation_id: c.generationId,
            kind: c.kind,
          })),
        )
        .execute();
  }

  /** Highest sequence so far (0 when empty). */
  async latestSeq(): Promise<number> {
    const r = await this.db
      .selectFrom('deployment_changes')
      .select((eb) => eb.fn.max('change_seq').as('m'))
      .executeTakeFirst();
    return Number(r?.m ?? 0);
  }

  async since(afterSeq: number, limit = 10_000): Promise<DeploymentChange[]> {
    const rows = await this.db
      .selectFrom('deployment_changes')
      .selectAll()
      .where('change_seq', '>', afterSeq)
      .orderBy('change_seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      changeSeq: r.change_seq,
      changedAt: r.changed_at,
      updateId: r.update_id,
      revisionId: r.revision_id,
      groupId: r.group_id,
      generationId: r.generation_id,
      kind: r.kind,
    }));
  }
}
