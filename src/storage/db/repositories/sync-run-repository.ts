import type { Selectable } from 'kysely';
import { AppError } from '../../../errors.js';
import type { SyncOutcome, SyncRunsTable } from '../database.js';
import { inTransaction, type Executor } from '../transaction.js';

export type SyncCounters = Readonly<Record<string, number>>;

export interface SyncRunRecord {
  readonly syncRunId: number;
  readonly kind: string;
  readonly triggerSource: string;
  readonly nodeId: string | null;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly finishedAt: number | null;
  readonly outcome: SyncOutcome;
  readonly error: { code: string; message: string; detail: unknown } | null;
  readonly counters: SyncCounters;
  readonly generationId: number | null;
  /** What the run did not do and why (e.g. "not activated: catalog pinned to generation 3"). */
  readonly note: string | null;
}

/** How a run ended: its outcome, the typed error of a failed run, the generation it left active, a note. */
export interface SyncRunFinish {
  readonly outcome: Exclude<SyncOutcome, 'running'>;
  readonly error?: { code: string; message: string; detail?: unknown };
  readonly generationId?: number;
  readonly note?: string;
}

/** Sync run history: start, add to counters while running, finish with an outcome and a typed error. */
export class SyncRunRepository {
  constructor(private readonly db: Executor) {}

  async start(
    input: { kind: string; triggerSource: string; nodeId?: string },
    now = Date.now(),
  ): Promise<SyncRunRecord> {
    const row = await this.db
      .insertInto('sync_runs')
      .values({
        kind: input.kind,
        trigger_source: input.triggerSource,
        node_id: input.nodeId ?? null,
        started_at: now,
        heartbeat_at: now,
        outcome: 'running',
        counters: '{}',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** Adds `delta` to the named counters (read-modify-write in one transaction) and refreshes the heartbeat. */
  async addCounters(syncRunId: number, delta: SyncCounters, now = Date.now()): Promise<SyncCounters> {
    return inTransaction(this.db, async (trx) => {
      const row = await trx
        .selectFrom('sync_runs')
        .select(['counters', 'outcome'])
        .where('sync_run_id', '=', syncRunId)
        .executeTakeFirst();
      if (row === undefined) throw new AppError('PB_ERR_NOT_FOUND', `sync run ${syncRunId} does not exist`);
      const counters = parseCounters(row.counters);
      for (const [k, v] of Object.entries(delta)) counters[k] = (counters[k] ?? 0) + v;
      await trx
        .updateTable('sync_runs')
        .set({ counters: JSON.stringify(counters), heartbeat_at: now })
        .where('sync_run_id', '=', syncRunId)
        .execute();
      return counters;
    });
  }

  async finish(syncRunId: number, result: SyncRunFinish, now = Date.now()): Promise<void> {
    const r = await this.db
      .updateTable('sync_runs')
      .set({
        outcome: result.outcome,
        finished_at: now,
        heartbeat_at: now,
        error_code: result.error?.code ?? null,
        error_message: result.error?.message.slice(0, 4000) ?? null,
        error_detail: result.error?.detail === undefined ? null : JSON.stringify(result.error.detail),
        generation_id: result.generationId ?? null,
        note: result.note ?? null,
      })
      .where('sync_run_id', '=', syncRunId)
      .where('outcome', '=', 'running')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0)
      throw new AppError('PB_ERR_CONFLICT', `sync run ${syncRunId} is not running`);
  }

  async get(syncRunId: number): Promise<SyncRunRecord | undefined> {
    const row = await this.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('sync_run_id', '=', syncRunId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(limit = 50): Promise<SyncRunRecord[]> {
    const rows = await this.db
      .selectFrom('sync_runs')
      .selectAll()
      .orderBy('sync_run_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /** The most recent run that finished with this outcome (stale-sync alarm: last good sync). */
  async lastWithOutcome(outcome: SyncOutcome): Promise<SyncRunRecord | undefined> {
    const row = await this.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('outcome', '=', outcome)
      .orderBy('sync_run_id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * The most recent metadata run that succeeded fully or partially (the stale-sync alarm's "last good
   * sync"); content-download runs do not count.
   */
  async lastGoodMetadata(): Promise<SyncRunRecord | undefined> {
    const row = await this.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('kind', '=', 'metadata')
      .where('outcome', 'in', ['succeeded', 'partial'])
      .orderBy('sync_run_id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toRecord(row);
  }
}

function parseCounters(text: string): Record<string, number> {
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  const parsed = JSON.parse(text) as unknown;
  if (parsed !== null && typeof parsed === 'object')
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') out[k] = v;
  return out;
}

function toRecord(r: Selectable<SyncRunsTable>): SyncRunRecord {
  return {
    syncRunId: r.sync_run_id,
    kind: r.kind,
    triggerSource: r.trigger_source,
    nodeId: r.node_id,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    finishedAt: r.finished_at,
    outcome: r.outcome,
    error:
      r.error_code === null
        ? null
        : {
            code: r.error_code,
            message: r.error_message ?? '',
            detail: r.error_detail === null ? null : (JSON.parse(r.error_detail) as unknown),
          },
    counters: { ...parseCounters(r.counters) },
    generationId: r.generation_id,
    note: r.note,
  };
}
