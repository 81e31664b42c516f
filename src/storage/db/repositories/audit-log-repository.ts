import type { Executor } from '../transaction.js';

export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly targetType?: string | null;
  readonly targetId?: string | null;
  readonly detail?: unknown;
}

/** Append-only audit log of administrative actions. */
export class AuditLogRepository {
  constructor(private readonly db: Executor) {}

  async append(entry: AuditEntry, now = Date.now()): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at: now,
        actor: entry.actor,
        action: entry.action,
        target_type: entry.targetType ?? null,
        target_id: entry.targetId ?? null,
        detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
      })
      .execute();
  }

  async list(page: { beforeId?: number; limit?: number } = {}) {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (page.beforeId !== undefined) q = q.where('audit_id', '<', page.beforeId);
    const rows = await q
      .orderBy('audit_id', 'desc')
      .limit(page.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      auditId: r.audit_id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }));
  }
}
