import type { Selectable } from 'kysely';
import type { QuarantineTable } from '../database.js';
import { chunkRows, inTransaction, type Executor } from '../transaction.js';
import type { RevisionIdentity } from './revision-types.js';

export interface QuarantineInput extends RevisionIdentity {
  readonly revisionId?: number | null;
  /** A stable reason code, e.g. 'xml_malformed', 'dangling_prerequisite', 'digest_mismatch', 'dependency'. */
  readonly reasonCode: string;
  readonly detail?: string | null;
  /** The quarantined revision this one depends on, when quarantined as a consequence. */
  readonly causedByUpdateId?: string | null;
  readonly syncRunId?: number | null;
  /** When to try again; null = only on operator request. */
  readonly nextRetryAt?: number | null;
}

export interface QuarantineRecord extends RevisionIdentity {
  readonly revisionId: number | null;
  readonly reasonCode: string;
  readonly detail: string | null;
  readonly causedByUpdateId: string | null;
  readonly syncRunId: number | null;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  readonly retryCount: number;
  readonly nextRetryAt: number | null;
}

/** Longest stored detail; the rest is cut (details quote untrusted upstream content). */
const maxDetailLength = 4000;

/**
 * Revisions that failed validation (and everything depending on them). Adding an already quarantined
 * revision again counts a retry and keeps first_seen.
 */
export class QuarantineRepository {
  constructor(private readonly db: Executor) {}

  async add(entries: readonly QuarantineInput[], now = Date.now()): Promise<void> {
    const seen = new Map<string, QuarantineInput>();
    for (const e of entries) seen.set(`${e.updateId.toLowerCase()}/${e.revisionNumber}`, e);
    await inTransaction(this.db, async (trx) => {
      for (const chunk of chunkRows([...seen.values()], 12)) {
        await trx
          .insertInto('quarantine')
          .values(
            chunk.map((e) => ({
              update_id: e.updateId.toLowerCase(),
              revision_number: e.revisionNumber,
              revision_id: e.revisionId ?? null,
              reason_code: e.reasonCode,
              detail: e.detail == null ? null : e.detail.slice(0, maxDetailLength),
              caused_by_update_id: e.causedByUpdateId?.toLowerCase() ?? null,
              sync_run_id: e.syncRunId ?? null,
              first_seen_at: now,
              last_seen_at: now,
              retry_count: 0,
              next_retry_at: e.nextRetryAt ?? null,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['update_id', 'revision_number']).doUpdateSet((eb) => ({
              revision_id: eb.fn.coalesce('excluded.revision_id', 'quarantine.revision_id'),
              reason_code: eb.ref('excluded.reason_code'),
              detail: eb.ref('excluded.detail'),
              caused_by_update_id: eb.ref('excluded.caused_by_update_id'),
              sync_run_id: eb.ref('excluded.sync_run_id'),
              last_seen_at: eb.ref('excluded.last_seen_at'),
              retry_count: eb('quarantine.retry_count', '+', 1),
              next_retry_at: eb.ref('excluded.next_retry_at'),
            })),
          )
          .execute();
      }
    });
  }

  async list(page: { limit?: number; reasonCode?: string } = {}): Promise<QuarantineRecord[]> {
    let q = this.db.selectFrom('quarantine').selectAll();
    if (page.reasonCode !== undefined) q = q.where('reason_code', '=', page.reasonCode);
    const rows = await q
      .orderBy('update_id')
      .orderBy('revision_number')
      .limit(page.limit ?? 1000)
      .execute();
    return rows.map(toRecord);
  }

  /** How many revisions are quarantined (for any reason). */
  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('quarantine')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    // PostgreSQL returns count(*) as text.
    return Number(r.n);
  }

  async get(identity: RevisionIdentity): Promise<QuarantineRecord | undefined> {
    const row = await this.db
      .selectFrom('quarantine')
      .selectAll()
      .where('update_id', '=', identity.updateId.toLowerCase())
      .where('revision_number', '=', identity.revisionNumber)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Every quarantined revision of these updates, highest revision first per update. */
  async listForUpdates(updateIds: readonly string[]): Promise<QuarantineRecord[]> {
    if (updateIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('quarantine')
      .selectAll()
      .where(
        'update_id',
        'in',
        updateIds.map((u) => u.toLowerCase()),
      )
      .orderBy('update_id')
      .orderBy('revision_number', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  /** Update ids with any quarantined revision (for the closure check before activation). */
  async quarantinedUpdateIds(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('quarantine').select('update_id').distinct().execute();
    return new Set(rows.map((r) => r.update_id));
  }

  /** Entries whose retry time has come, oldest first. */
  async dueForRetry(now = Date.now(), limit = 1000): Promise<QuarantineRecord[]> {
    const rows = await this.db
      .selectFrom('quarantine')
      .selectAll()
      .where('next_retry_at', 'is not', null)
      .where('next_retry_at', '<=', now)
      .orderBy('next_retry_at')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /** Releases entries (after a successful retry or by the operator). Returns how many were removed. */
  async clear(identities: readonly RevisionIdentity[]): Promise<number> {
    let removed = 0;
    await inTransaction(this.db, async (trx) => {
      for (const i of identities) {
        const r = await trx
          .deleteFrom('quarantine')
          .where('update_id', '=', i.updateId.toLowerCase())
          .where('revision_number', '=', i.revisionNumber)
          .executeTakeFirst();
        removed += Number(r.numDeletedRows);
      }
    });
    return removed;
  }

  async clearAll(): Promise<number> {
    const r = await this.db.deleteFrom('quarantine').executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function toRecord(r: Selectable<QuarantineTable>): QuarantineRecord {
  return {
    updateId: r.update_id,
    revisionNumber: r.revision_number,
    revisionId: r.revision_id,
    reasonCode: r.reason_code,
    detail: r.detail,
    causedByUpdateId: r.caused_by_update_id,
    syncRunId: r.sync_run_id,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    retryCount: r.retry_count,
    nextRetryAt: r.next_retry_at,
  };
}
