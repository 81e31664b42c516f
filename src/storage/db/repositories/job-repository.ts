import type { Selectable } from 'kysely';
import type { JobsTable } from '../database.js';
import type { Executor } from '../transaction.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobRecord {
  readonly jobId: string;
  readonly kind: string;
  readonly state: JobState;
  readonly progress: { readonly done: number; readonly total: number; readonly phase: string };
  readonly result: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdBy: string;
  readonly nodeId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

export interface NewJob {
  readonly jobId: string;
  readonly kind: string;
  /** Set: at most one unfinished job holds this key (the insert of a second one is refused). */
  readonly exclusiveKey: string | null;
  readonly createdBy: string;
  readonly nodeId: string;
}

const unfinished = ['queued', 'running'] as const;

/** The jobs the REST API runs (migration 0018): state and progress readable from every node. */
export class JobRepository {
  constructor(private readonly db: Executor) {}

  /** Inserts a queued job; undefined when an unfinished job already holds its exclusive key. */
  async insert(job: NewJob, now = Date.now()): Promise<JobRecord | undefined> {
    const row = await this.db
      .insertInto('jobs')
      .values({
        job_id: job.jobId,
        kind: job.kind,
        state: 'queued',
        exclusive_key: job.exclusiveKey,
        progress_done: 0,
        progress_total: 0,
        progress_phase: 'queued',
        result: null,
        error: null,
        created_by: job.createdBy,
        node_id: job.nodeId,
        created_at: now,
        updated_at: now,
        finished_at: null,
      })
      .onConflict((oc) => oc.column('exclusive_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const row = await this.db.selectFrom('jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
    return row && toRecord(row);
  }

  /** The unfinished job holding `key`, if any. */
  async holding(key: string): Promise<JobRecord | undefined> {
    const row = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('exclusive_key', '=', key)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Progress (and the heartbeat) of an unfinished job; false when it is finished already. */
  async progress(
    jobId: string,
    p: { done: number; total: number; phase: string },
    now = Date.now(),
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({
        state: 'running',
        progress_done: p.done,
        progress_total: p.total,
        progress_phase: p.phase,
        updated_at: now,
      })
      .where('job_id', '=', jobId)
      .where('state', 'in', unfinished)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Finishes an unfinished job (a job already failed by a reaper stays as it is). */
  async finish(
    jobId: string,
    outcome:
      | { state: 'succeeded'; result: unknown }
      | { state: 'failed'; error: { code: string; message: string }; result?: unknown },
    now = Date.now(),
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({
        state: outcome.state,
        exclusive_key: null,
        result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
        error: outcome.state === 'failed' ? JSON.stringify(outcome.error) : null,
        updated_at: now,
        finished_at: now,
      })
      .where('job_id', '=', jobId)
      .where('state', 'in', unfinished)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Fails the unfinished jobs whose node stopped beating before `cutoff`; returns how many. */
  async failSilent(cutoff: number, error: { code: string; message: string }, now = Date.now()) {
    const r = await this.db
      .updateTable('jobs')
      .set({ state: 'failed', exclusive_key: null, error: JSON.stringify(error), finished_at: now })
      .where('state', 'in', unfinished)
      .where('updated_at', '<', cutoff)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Deletes jobs finished before `cutoff` (the retention); returns how many. */
  async deleteFinishedBefore(cutoff: number): Promise<number> {
    const r = await this.db.deleteFrom('jobs').where('finished_at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function parse(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

function toRecord(row: Selectable<JobsTable>): JobRecord {
  return {
    jobId: row.job_id,
    kind: row.kind,
    state: row.state as JobState,
    progress: {
      done: Number(row.progress_done),
      total: Number(row.progress_total),
      phase: row.progress_phase,
    },
    result: parse(row.result),
    error: parse(row.error) as JobRecord['error'],
    createdBy: row.created_by,
    nodeId: row.node_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}
