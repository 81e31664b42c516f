import { sql } from 'kysely';
import type { DialectName } from '../dialect.js';
import { chunkRows, inTransaction, type Executor } from '../transaction.js';

export interface ClientEventInput {
  /** EventInstanceID (GUID): the dedupe key. */
  readonly eventInstanceId: string;
  readonly computerId: string;
  readonly eventId: number;
  readonly namespaceId: number;
  readonly sourceId?: number | null;
  readonly eventAt: number;
  readonly updateId?: string | null;
  readonly revisionNumber?: number | null;
  readonly win32HResult?: number | null;
  /** The raw event as received; stored, never interpreted. Cut at `maxRawEventLength`. */
  readonly raw: string;
  /** The caller already cut some of the event's strings before serialising it. */
  readonly isRawTruncated?: boolean;
}

/** Raw text kept per event (characters). Longer input is cut and flagged. */
export const maxRawEventLength = 16 * 1024;

/** Raw client events (ReportEventBatch), de-duplicated on EventInstanceID. */
export class ClientEventRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  /** Inserts a batch in one transaction; returns how many events were new (duplicates are ignored). */
  async insertBatch(events: readonly ClientEventInput[], now = Date.now()): Promise<number> {
    if (events.length === 0) return 0;
    const rows = [...new Map(events.map((e) => [e.eventInstanceId.toLowerCase(), e])).entries()].map(
      ([id, e]) => ({
        event_instance_id: id,
        computer_id: e.computerId.toLowerCase(),
        event_id: e.eventId,
        namespace_id: e.namespaceId,
        source_id: e.sourceId ?? null,
        event_at: e.eventAt,
        received_at: now,
        update_id: e.updateId?.toLowerCase() ?? null,
        revision_number: e.revisionNumber ?? null,
        win32_hresult: e.win32HResult ?? null,
        raw: e.raw.length > maxRawEventLength ? e.raw.slice(0, maxRawEventLength) : e.raw,
        is_raw_truncated: e.isRawTruncated === true || e.raw.length > maxRawEventLength ? 1 : 0,
      }),
    );
    return inTransaction(this.db, async (trx) => {
      let inserted = 0;
      for (const chunk of chunkRows(rows, 12)) {
        const r = await trx
          .insertInto('client_events')
          .values(chunk)
          .onConflict((oc) => oc.column('event_instance_id').doNothing())
          .executeTakeFirst();
        inserted += Number(r.numInsertedOrUpdatedRows ?? 0);
      }
      return inserted;
    });
  }

  async listForComputer(computerId: string, limit = 1000) {
    const rows = await this.db
      .selectFrom('client_events')
      .selectAll()
      .where('computer_id', '=', computerId.toLowerCase())
      .orderBy('event_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      eventInstanceId: r.event_instance_id,
      computerId: r.computer_id,
      eventId: r.event_id,
      namespaceId: r.namespace_id,
      sourceId: r.source_id,
      eventAt: r.event_at,
      receivedAt: r.received_at,
      updateId: r.update_id,
      revisionNumber: r.revision_number,
      win32HResult: r.win32_hresult,
      raw: r.raw,
      isRawTruncated: r.is_raw_truncated === 1,
    }));
  }

  /**
   * Bytes (UTF-8) of the raw text stored for one computer's events received at or after `since`: what the
   * per-computer storage budget counts (index client_events_computer_received).
   */
  async rawBytesSince(computerId: string, since: number): Promise<number> {
    const bytes =
      this.dialect === 'postgres' ? sql<number>`octet_length(raw)` : sql<number>`length(cast(raw as blob))`;
    const r = await this.db
      .selectFrom('client_events')
      .select(sql<string | number | null>`sum(${bytes})`.as('bytes'))
      .where('computer_id', '=', computerId.toLowerCase())
      .where('received_at', '>=', since)
      .executeTakeFirst();
    return Number(r?.bytes ?? 0);
  }

  /**
   * Retention: deletes at most `limit` events received before `before`, oldest first, and returns how many.
   * Callers loop until it returns less than `limit`, so no single statement holds a long write lock.
   */
  async deleteReceivedBefore(before: number, limit: number): Promise<number> {
    const r = await this.db
      .deleteFrom('client_events')
      .where(
        'event_instance_id',
        'in',
        this.db
          .selectFrom('client_events')
          .select('event_instance_id')
          .where('received_at', '<', before)
          .orderBy('received_at')
          .limit(limit),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
