import { AppError } from '../../../errors.js';
import type { Executor } from '../transaction.js';

export interface AnchorRecord {
  readonly scope: string;
  readonly anchor: string | null;
  readonly committedAt: number | null;
  readonly pendingAnchor: string | null;
}

/**
 * Sync anchors per scope ('config', 'revisions:<filter hash>', 'deployments'). A new anchor is first
 * stored as pending, and promoted only once its phase has committed, so a crash mid-phase resumes from
 * the old anchor.
 */
export class AnchorRepository {
  constructor(private readonly db: Executor) {}

  async get(scope: string): Promise<AnchorRecord | undefined> {
    const r = await this.db
      .selectFrom('sync_anchors')
      .selectAll()
      .where('scope', '=', scope)
      .executeTakeFirst();
    return (
      r && { scope: r.scope, anchor: r.anchor, committedAt: r.committed_at, pendingAnchor: r.pending_anchor }
    );
  }

  async setPending(scope: string, anchor: string, syncRunId: number | null, now = Date.now()): Promise<void> {
    await this.db
      .insertInto('sync_anchors')
      .values({
        scope,
        anchor: null,
        committed_at: null,
        pending_anchor: anchor,
        pending_at: now,
        sync_run_id: syncRunId,
      })
      .onConflict((oc) =>
        oc.column('scope').doUpdateSet({ pending_anchor: anchor, pending_at: now, sync_run_id: syncRunId }),
      )
      .execute();
  }

  /** Promotes the pending anchor; call in (or after) the transaction that commits the phase. */
  async promote(scope: string, now = Date.now()): Promise<string> {
    const r = await this.get(scope);
    if (r?.pendingAnchor == null) throw new AppError('PB_ERR_CONFLICT', `no pending anchor for ${scope}`);
    await this.db
      .updateTable('sync_anchors')
      .set({ anchor: r.pendingAnchor, committed_at: now, pending_anchor: null, pending_at: null })
      .where('scope', '=', scope)
      .execute();
    return r.pendingAnchor;
  }

  /** Forgets an anchor (e.g. after ServerChanged), forcing a full sync of that scope. */
  async reset(scope: string): Promise<void> {
    await this.db.deleteFrom('sync_anchors').where('scope', '=', scope).execute();
  }
}
