import type { ApprovalAction } from '../database.js';
import { chunkRows, inTransaction, type Executor } from '../transaction.js';

export interface ApprovalInput {
  readonly updateId: string;
  readonly groupId: string;
  readonly action: ApprovalAction;
  readonly deadlineAt?: number | null;
  readonly approvedBy: string;
  /** 'admin' | 'api' | 'cli' | 'rule:<id>' | 'upstream' */
  readonly approvedVia: string;
}

export interface ApprovalRecord extends Required<ApprovalInput> {
  readonly approvedAt: number;
}

export interface DeclineRecord {
  readonly updateId: string;
  readonly declinedBy: string;
  readonly declinedVia: string;
  readonly declinedAt: number;
  readonly reason: string | null;
}

/**
 * Approvals per (update, group) and declines per update. Every change appends to the deployment change
 * log in the same transaction, so ChangedUpdates / LastChangeTime can never miss one.
 */
export class ApprovalRepository {
  constructor(private readonly db: Executor) {}

  async set(approvals: readonly ApprovalInput[], now = Date.now()): Promise<void> {
    const rows = [
      ...new Map(
        approvals.map((a) => [`${a.updateId.toLowerCase()}|${a.groupId.toLowerCase()}`, a]),
      ).values(),
    ].map((a) => ({
      update_id: a.updateId.toLowerCase(),
      group_id: a.groupId.toLowerCase(),
      action: a.action,
      deadline_at: a.deadlineAt ?? null,
      approved_by: a.approvedBy,
      approved_via: a.approvedVia,
      approved_at: now,
    }));
    await inTransaction(this.db, async (trx) => {
      for (const chunk of chunkRows(rows, 7)) {
        await trx
          .insertInto('approvals')
          .values(chunk)
          .onConflict((oc) =>
            oc.columns(['update_id', 'group_id']).doUpdateSet((eb) => ({
              action: eb.ref('excluded.action'),
              deadline_at: eb.ref('excluded.deadline_at'),
              approved_by: eb.ref('excluded.approved_by'),
              approved_via: eb.ref('excluded.approved_via'),
              approved_at: eb.ref('excluded.approved_at'),
            })),
          )
          .execute();
        await logChanges(
          trx,
          chunk.map((r) => ({ updateId: r.update_id, groupId: r.group_id })),
          'approval',
          now,
        );
      }
    });
  }

  /** Removes approvals (the group then inherits from its parents again). Returns how many existed. */
  async clear(keys: readonly { updateId: string; groupId: string }[], now = Date.now()): Promise<number> {
    let removed = 0;
    await inTransaction(this.db, async (trx) => {
      for (const k of keys) {
        const r = await trx
          .deleteFrom('approvals')
          .where('update_id', '=', k.updateId.toLowerCase())
          .where('group_id', '=', k.groupId.toLowerCase())
          .executeTakeFirst();
        if (Number(r.numDeletedRows) > 0) {
          removed++;
          await logChanges(
            trx,
            [{ updateId: k.updateId.toLowerCase(), groupId: k.groupId.toLowerCase() }],
            'approval_cleared',
            now,
          );
        }
      }
    });
    return removed;
  }

  /** Approvals of the given groups (e.g. a computer's groups plus their ancestors). */
  async listForGroups(groupIds: readonly string[]): Promise<ApprovalRecord[]> {
    const ids = [...new Set(groupIds.map((g) => g.toLowerCase()))];
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('approvals')
      .selectAll()
      .where('group_id', 'in', ids)
      .orderBy('update_id')
      .orderBy('group_id')
      .execute();
    return rows.map((r) => ({
      updateId: r.update_id,
      groupId: r.group_id,
      action: r.action,
      deadlineAt: r.deadline_at,
      approvedBy: r.approved_by,
      approvedVia: r.approved_via,
      approvedAt: r.approved_at,
    }));
  }

  async listForUpdate(updateId: string): Promise<ApprovalRecord[]> {
    const rows = await this.db
      .selectFrom('approvals')
      .selectAll()
      .where('update_id', '=', updateId.toLowerCase())
      .execute();
    return rows.map((r) => ({
      updateId: r.update_id,
      groupId: r.group_id,
      action: r.action,
      deadlineAt: r.deadline_at,
      approvedBy: r.approved_by,
      approvedVia: r.approved_via,
      approvedAt: r.approved_at,
    }));
  }

  async decline(
    updateIds: readonly string[],
    by: { declinedBy: string; declinedVia: string; reason?: string | null },
    now = Date.now(),
  ): Promise<void> {
    const ids = [...new Set(updateIds.map((u) => u.toLowerCase()))];
    await inTransaction(this.db, async (trx) => {
      for (const chunk of chunkRows(ids, 5)) {
        await trx
          .insertInto('declines')
          .values(
            chunk.map((u) => ({
              update_id: u,
              declined_by: by.declinedBy,
              declined_via: by.declinedVia,
              declined_at: now,
              reason: by.reason ?? null,
            })),
          )
          .onConflict((oc) => oc.column('update_id').doNothing())
          .execute();
        await logChanges(
          trx,
          chunk.map((u) => ({ updateId: u, groupId: null })),
          'declined',
          now,
        );
      }
    });
  }

  async undecline(updateIds: readonly string[], now = Date.now()): Promise<number> {
    const ids = [...new Set(updateIds.map((u) => u.toLowerCase()))];
    let removed = 0;
    await inTransaction(this.db, async (trx) => {
      for (const chunk of chunkRows(ids, 1, 4000)) {
        const r = await trx.deleteFrom('declines').where('update_id', 'in', chunk).executeTakeFirst();
        removed += Number(r.numDeletedRows);
        await logChanges(
          trx,
          chunk.map((u) => ({ updateId: u, groupId: null })),
          'undeclined',
          now,
        );
      }
    });
    return removed;
  }

  async listDeclined(): Promise<DeclineRecord[]> {
    const rows = await this.db.selectFrom('declines').selectAll().orderBy('update_id').execute();
    return rows.map((r) => ({
      updateId: r.update_id,
      declinedBy: r.declined_by,
      declinedVia: r.declined_via,
      declinedAt: r.declined_at,
      reason: r.reason,
    }));
  }

  async isDeclined(updateId: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('declines')
      .select('update_id')
      .where('update_id', '=', updateId.toLowerCase())
      .executeTakeFirst();
    return r !== undefined;
  }
}

async function logChanges(
  trx: Executor,
  changes: readonly { updateId: string; groupId: string | null }[],
  kind: string,
  now: number,
): Promise<void> {
  if (changes.length === 0) return;
  await trx
    .insertInto('deployment_changes')
    .values(
      changes.map((c) => ({
        changed_at: now,
        update_id: c.updateId,
        revision_id: null,
        group_id: c.groupId,
        generation_id: null,
        kind,
      })),
    )
    .execute();
}
