/**
 * Long operations the REST API starts (a synchronization, a content verify or download) run as jobs: the
 * caller gets the job at once (202) and polls or streams it. The state lives in the `jobs` table, not in this
 * process, because Patchbay runs as several stateless nodes on one PostgreSQL: the node that runs a job writes
 * its progress (throttled) and a heartbeat; any node reads it. A job whose node stopped beating is failed by
 * the next reader, and finished jobs are deleted after the retention.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError, toAppError } from '../errors.js';
import type { JobRecord, JobRepository } from '../storage/index.js';

/** The job store (the `jobs` repository implements it). */
export type JobStore = Pick<
  JobRepository,
  'insert' | 'get' | 'holding' | 'progress' | 'finish' | 'failSilent' | 'deleteFinishedBefore'
>;

export interface JobProgress {
  readonly done: number;
  readonly total: number;
  readonly phase: string;
}

export interface JobRunContext {
  /** Aborts when the server shuts down. */
  readonly signal: AbortSignal;
  /** Reports progress; written to the database at most every `progressEveryMs`. */
  readonly progress: (p: JobProgress) => void;
}

/** A job as the API shows it (`GET /api/v1/jobs/:id`). */
export interface JobView {
  readonly id: string;
  readonly kind: string;
  readonly state: JobRecord['state'];
  readonly progress: JobProgress;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
  readonly createdBy: string;
  readonly node: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

export function jobView(r: JobRecord): JobView {
  return {
    id: r.jobId,
    kind: r.kind,
    state: r.state,
    progress: r.progress,
    ...(r.result !== null ? { result: r.result } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
    createdBy: r.createdBy,
    node: r.nodeId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    finishedAt: r.finishedAt,
  };
}

export interface JobRunnerOptions {
  readonly store: JobStore;
  /** This node (processHolder()): written with each job so an admin sees where it ran. */
  readonly nodeId: string;
  readonly logger?: Logger;
  /** Finished jobs older than this are deleted (default 7 days). */
  readonly retentionMs?: number;
  /** Heartbeat period of a running job (default 5 s). */
  readonly heartbeatMs?: number;
  /** A job without a heartbeat for this long is failed: its node died (default 60 s, 12 missed beats). */
  readonly silentAfterMs?: number;
  /** At most one progress write per this period (default 500 ms); the heartbeat writes the latest too. */
  readonly progressEveryMs?: number;
  readonly now?: () => number;
}

export const defaultJobRetentionMs = 7 * 24 * 3_600_000;

export class JobRunner {
  readonly #o: Required<Omit<JobRunnerOptions, 'logger'>> & { logger?: Logger };
  readonly #running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  #closed = false;

  constructor(o: JobRunnerOptions) {
    this.#o = {
      retentionMs: defaultJobRetentionMs,
      heartbeatMs: 5_000,
      silentAfterMs: 60_000,
      progressEveryMs: 500,
      now: Date.now,
      ...o,
    };
  }

  /**
   * Records a queued job and runs `run` in the background on this node. With `exclusive`, at most one
   * unfinished job of the kind exists in the whole cluster: a second start is refused with PB_ERR_SYNC_BUSY
   * (409) naming the running job's id.
   */
  async start(
    kind: string,
    createdBy: string,
    run: (ctx: JobRunContext) => Promise<unknown>,
    o: { exclusive?: boolean } = {},
  ): Promise<JobView> {
    if (this.#closed) throw new AppError('PB_ERR_SERVER_BUSY', 'the server is shutting down');
    await this.#housekeeping();
    const record = await this.#o.store.insert(
      {
        jobId: randomUUID(),
        kind,
        exclusiveKey: o.exclusive === true ? kind : null,
        createdBy,
        nodeId: this.#o.nodeId,
      },
      this.#o.now(),
    );
    if (record === undefined) {
      const held = await this.#o.store.holding(kind);
      throw new AppError(
        'PB_ERR_SYNC_BUSY',
        `a ${kind} job is already running${held ? ` (job ${held.jobId}, started by ${held.createdBy})` : ''}`,
        { detail: { jobId: held?.jobId ?? null, kind } },
      );
    }
    const abort = new AbortController();
    const done = this.#run(record.jobId, run, abort.signal).finally(() => this.#running.delete(record.jobId));
    this.#running.set(record.jobId, { abort, done });
    return jobView(record);
  }

  /** The job, or PB_ERR_NOT_FOUND. A job whose node stopped beating is failed first. */
  async get(id: string): Promise<JobView> {
    let r = await this.#o.store.get(id);
    if (r !== undefined && (r.state === 'queued' || r.state === 'running') && this.#isSilent(r)) {
      await this.#failSilent();
      r = await this.#o.store.get(id);
    }
    if (r === undefined)
      throw new AppError(
        'PB_ERR_NOT_FOUND',
        `no job ${id} (finished jobs are kept ${this.#retentionText()})`,
        {
          detail: { parameter: 'id' },
        },
      );
    return jobView(r);
  }

  /** Stops the jobs this node runs (they are recorded as failed) and waits for them. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const j of this.#running.values())
      j.abort.abort(new AppError('PB_ERR_SERVER_BUSY', 'server stopping'));
    await Promise.all([...this.#running.values()].map((j) => j.done));
  }

  async #run(id: string, run: (ctx: JobRunContext) => Promise<unknown>, signal: AbortSignal) {
    const store = this.#o.store;
    let latest: JobProgress = { done: 0, total: 0, phase: 'starting' };
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const write = () => {
      lastWrite = this.#o.now();
      const p = latest;
      writing = writing
        .then(() => store.progress(id, p, this.#o.now()))
        .catch((err: unknown) => this.#o.logger?.warn({ err, jobId: id }, 'could not record job progress'));
    };
    const beat = setInterval(write, this.#o.heartbeatMs);
    beat.unref();
    write();
    try {
      const result = await run({
        signal,
        progress: (p) => {
          latest = p;
          if (this.#o.now() - lastWrite >= this.#o.progressEveryMs) write();
        },
      });
      clearInterval(beat);
      latest = { done: Math.max(latest.total, latest.done), total: latest.total, phase: 'done' };
      write();
      await writing;
      await store.finish(id, { state: 'succeeded', result: result ?? null }, this.#o.now());
    } catch (e) {
      clearInterval(beat);
      await writing;
      const err = toAppError(e);
      this.#o.logger?.warn({ jobId: id, code: err.code, reason: err.message }, 'job failed');
      await store
        .finish(id, { state: 'failed', error: { code: err.code, message: err.message } }, this.#o.now())
        .catch((err2: unknown) =>
          this.#o.logger?.error({ err: err2, jobId: id }, 'could not record job failure'),
        );
    }
  }

  #isSilent(r: JobRecord): boolean {
    return r.updatedAt < this.#o.now() - this.#o.silentAfterMs;
  }

  async #failSilent(): Promise<void> {
    await this.#o.store.failSilent(
      this.#o.now() - this.#o.silentAfterMs,
      {
        code: 'PB_ERR_INTERNAL',
        message: `the node running the job stopped reporting for ${Math.round(this.#o.silentAfterMs / 1000)} s (stopped or crashed)`,
      },
      this.#o.now(),
    );
  }

  /** Before each start: free keys of jobs whose node died, and apply the retention. */
  async #housekeeping(): Promise<void> {
    await this.#failSilent();
    await this.#o.store.deleteFinishedBefore(this.#o.now() - this.#o.retentionMs);
  }

  #retentionText(): string {
    const h = this.#o.retentionMs / 3_600_000;
    return h >= 48 ? `${Math.round(h / 24)} days` : `${Math.round(h)} h`;
  }
}
