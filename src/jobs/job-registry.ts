import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { JobTrigger } from './schedule.js';

export interface JobContext {
  /** Aborts on shutdown and when a single-runner job loses its lease. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** `schedule` or `manual` (run now). */
  readonly cause: 'schedule' | 'manual';
  /** The calendar slot this run belongs to (ms), or when it was asked for. */
  readonly slotAt: number;
  /** Lease holder of this node, for jobs that record who ran them. */
  readonly nodeId: string;
}

export interface JobDefinition {
  /** Stable name: also the lease name (`job:<name>`) and the log field. */
  readonly name: string;
  readonly description: string;
  readonly trigger: JobTrigger;
  /**
   * Run once per cluster (default true): the job runs under a database lease, so of several Patchbay nodes
   * sharing one PostgreSQL only the first to take it runs the slot. Local housekeeping sets false.
   */
  readonly singleRunner?: boolean;
  /** Lease time-to-live; renewed every third of it while the job runs (default 10 min). */
  readonly leaseTtlMs?: number;
  run(ctx: JobContext): Promise<void>;
}

const namePattern = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * The jobs `patchbay serve` schedules. Other parts add theirs in main.ts (`registry.register(...)`): the sync
 * (metadata, then content), a connector export, cleanup. Names are unique.
 */
export class JobRegistry {
  readonly #jobs = new Map<string, JobDefinition>();

  register(job: JobDefinition): this {
    if (!namePattern.test(job.name))
      throw new AppError('PB_ERR_INVALID_PARAMETER', `job name "${job.name}" must be kebab-case`);
    if (this.#jobs.has(job.name))
      throw new AppError('PB_ERR_CONFLICT', `a job named "${job.name}" is already registered`);
    this.#jobs.set(job.name, job);
    return this;
  }

  get(name: string): JobDefinition | undefined {
    return this.#jobs.get(name);
  }

  list(): JobDefinition[] {
    return [...this.#jobs.values()];
  }
}
