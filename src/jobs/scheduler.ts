import { pino, type Logger } from 'pino';
import { AppError, isAppError, toAppError } from '../errors.js';
import type { JobDefinition, JobRegistry } from './job-registry.js';
import { processHolder, withJobLease, type LeaseStore } from './job-lease.js';
import { nextRun, type PlannedRun } from './schedule.js';
import { memorySlotLedger, type SlotLedger } from './slot-ledger.js';

/** Time for the scheduler: injectable so tests drive days of schedule in milliseconds. */
export interface SchedulerClock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** setTimeout holds at most 2^31-1 ms (~24.8 days); longer waits are re-armed in steps. */
const maxTimerMs = 2 ** 31 - 1;

export const systemSchedulerClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, Math.min(Math.max(0, ms), maxTimerMs));
    t.unref();
    return () => clearTimeout(t);
  },
};

export interface SchedulerDeps {
  readonly registry: JobRegistry;
  readonly leases: LeaseStore;
  /** Shared record of the last slot each single-runner job ran (default: in-process only). */
  readonly slots?: SlotLedger;
  readonly logger?: Logger;
  readonly clock?: SchedulerClock;
  readonly random?: () => number;
  /** Lease holder for this node (default the host name plus the process id). */
  readonly nodeId?: string;
}

export interface JobStatus {
  readonly name: string;
  readonly running: boolean;
  readonly next: PlannedRun | undefined;
  readonly lastOutcome: 'succeeded' | 'failed' | 'skipped' | undefined;
  readonly lastFinishedAt: number | undefined;
}

interface JobState {
  readonly job: JobDefinition;
  next: PlannedRun | undefined;
  cancel: (() => void) | undefined;
  running: Promise<void> | undefined;
  abort: AbortController | undefined;
  lastOutcome: JobStatus['lastOutcome'];
  lastFinishedAt: number | undefined;
}

/**
 * Runs the registry's jobs on their triggers. A job never overlaps itself on one node (a slot that comes
 * while the previous run is still going is skipped and logged); single-runner jobs also take a database lease
 * so they run once across nodes. Failures are logged with their code and never stop the schedule.
 */
export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #log: Logger;
  readonly #clock: SchedulerClock;
  readonly #random: () => number;
  readonly #nodeId: string;
  readonly #states = new Map<string, JobState>();
  #memorySlots: SlotLedger | undefined;
  #started = false;
  #stopped = false;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'scheduler' });
    this.#clock = deps.clock ?? systemSchedulerClock;
    this.#random = deps.random ?? Math.random;
    this.#nodeId = deps.nodeId ?? processHolder();
  }

  get nodeId(): string {
    return this.#nodeId;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const job of this.#deps.registry.list()) {
      const state: JobState = {
        job,
        next: undefined,
        cancel: undefined,
        running: undefined,
        abort: undefined,
        lastOutcome: undefined,
        lastFinishedAt: undefined,
      };
      this.#states.set(job.name, state);
      this.#arm(state, this.#clock.now());
    }
  }

  /** Cancels timers, aborts running jobs and waits for them to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running: Promise<void>[] = [];
    for (const s of this.#states.values()) {
      s.cancel?.();
      s.cancel = undefined;
      s.abort?.abort(new AppError('PB_ERR_INTERNAL', 'scheduler stopping'));
      if (s.running) running.push(s.running);
    }
    await Promise.allSettled(running);
  }

  status(): JobStatus[] {
    return [...this.#states.values()].map((s) => ({
      name: s.job.name,
      running: s.running !== undefined,
      next: s.next,
      lastOutcome: s.lastOutcome,
      lastFinishedAt: s.lastFinishedAt,
    }));
  }

  /** Runs a job now (outside its schedule); resolves when it ends. Throws PB_ERR_SYNC_BUSY if it is running. */
  async runNow(name: string): Promise<void> {
    const s = this.#states.get(name);
    if (s === undefined) throw new AppError('PB_ERR_NOT_FOUND', `no job named "${name}"`);
    if (s.running) throw new AppError('PB_ERR_SYNC_BUSY', `job "${name}" is already running`);
    await this.#fire(s, this.#clock.now(), 'manual', true);
  }

  #arm(s: JobState, after: number): void {
    if (this.#stopped) return;
    let planned: PlannedRun | undefined;
    try {
      planned = nextRun(s.job.trigger, after, this.#random);
    } catch (err) {
      this.#log.error({ err, job: s.job.name }, 'job schedule is invalid; the job will not run');
      return;
    }
    s.next = planned;
    if (planned === undefined) return;
    this.#log.debug(
      {
        job: s.job.name,
        slotAt: new Date(planned.slotAt).toISOString(),
        runAt: new Date(planned.runAt).toISOString(),
      },
      'job scheduled',
    );
    const wait = () => {
      const left = planned.runAt - this.#clock.now();
      if (left > 0) {
        s.cancel = this.#clock.setTimer(wait, Math.min(left, maxTimerMs));
        return;
      }
      s.cancel = undefined;
      // Arm the following slot first, so a long run cannot push the calendar.
      this.#arm(s, Math.max(planned.slotAt, this.#clock.now()));
      void this.#fire(s, planned.slotAt, 'schedule', false);
    };
    wait();
  }

  async #fire(s: JobState, slotAt: number, cause: 'schedule' | 'manual', rethrow: boolean): Promise<void> {
    const job = s.job;
    const log = this.#log.child({ job: job.name });
    if (s.running) {
      log.warn({ slotAt: new Date(slotAt).toISOString() }, 'previous run still going: this slot is skipped');
      s.lastOutcome = 'skipped';
      return;
    }
    const abort = new AbortController();
    s.abort = abort;
    const started = this.#clock.now();
    const slots = this.#deps.slots ?? (this.#memorySlots ??= memorySlotLedger());
    let skipped = false;
    const body = async (signal: AbortSignal) => {
      if (cause === 'schedule' && job.singleRunner !== false) {
        const last = await slots.lastSlot(job.name);
        if (last !== undefined && last >= slotAt) {
          skipped = true;
          return;
        }
        await slots.markSlot(job.name, slotAt);
      }
      await job.run({ signal, logger: log, cause, slotAt, nodeId: this.#nodeId });
    };
    const run = (async () => {
      try {
        if (job.singleRunner === false) await body(abort.signal);
        else
          await withJobLease(
            this.#deps.leases,
            {
              name: `job:${job.name}`,
              holder: this.#nodeId,
              ttlMs: job.leaseTtlMs ?? 10 * 60_000,
              now: () => this.#clock.now(),
              logger: log,
              signal: abort.signal,
            },
            body,
          );
        if (skipped) {
          s.lastOutcome = 'skipped';
          log.info({ slotAt: new Date(slotAt).toISOString() }, 'job slot already run by another node');
        } else {
          s.lastOutcome = 'succeeded';
          log.info({ cause, elapsedMs: this.#clock.now() - started }, 'job finished');
        }
      } catch (e) {
        const err = toAppError(e);
        if (isAppError(e) && e.code === 'PB_ERR_SYNC_BUSY' && cause === 'schedule') {
          // Another node took this slot: that is the lease working, not a failure.
          s.lastOutcome = 'skipped';
          log.info({ reason: err.message }, 'job slot taken by another node');
          return;
        }
        s.lastOutcome = 'failed';
        log.error({ err, code: err.code, cause }, 'job failed');
        if (rethrow) throw err;
      } finally {
        s.lastFinishedAt = this.#clock.now();
      }
    })();
    s.running = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      await run;
    } finally {
      s.running = undefined;
      s.abort = undefined;
    }
  }
}
