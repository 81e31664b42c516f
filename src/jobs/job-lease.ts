import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { JobLease } from '../storage/index.js';

/** The lease operations a single-runner job needs (the `jobLeases` repository implements them). */
export interface LeaseStore {
  acquire(name: string, holder: string, ttlMs: number, now?: number): Promise<JobLease | undefined>;
  release(name: string, holder: string): Promise<boolean>;
  get(name: string): Promise<JobLease | undefined>;
  /** Hands the lease from `fromHolder` to `toHolder` (new fencing token); undefined if `fromHolder` lost it. */
  takeOver(
    name: string,
    fromHolder: string,
    toHolder: string,
    ttlMs: number,
    now?: number,
  ): Promise<JobLease | undefined>;
}

/**
 * The lease holder of this process: host AND pid. Two processes on one host (two `patchbay sync`, or a sync
 * beside `serve`) must never share a holder, or the second "renews" the first one's lease and both run.
 */
export function processHolder(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * The holder one acquisition writes: the caller's node id plus a number unique in this process. One process
 * runs several runners of a job (in `serve`, the scheduled sync pipeline's content step beside the automatic
 * content download, or a sync asked for over REST beside the scheduled one); with the bare process id they
 * would share a holder, the second acquire would "renew" the first one's lease, and both would run at once.
 */
let acquisitions = 0;
function runHolder(nodeId: string): string {
  return `${nodeId}#${++acquisitions}`;
}

/** The process part of a holder: what processHolder() (or the caller's node id) said, without the run number. */
function holderProcess(holder: string): string {
  return holder.replace(/#\d+$/, '');
}

/** "host h, pid p, since t" for a holder written by processHolder (older rows hold a bare host name). */
export function describeHolder(lease: JobLease): string {
  const m = /^(.*):(\d+)$/.exec(holderProcess(lease.holder));
  const who = m ? `host ${m[1]}, pid ${m[2]}` : `host ${holderProcess(lease.holder)}`;
  return `${who}, since ${new Date(lease.acquiredAt).toISOString()}`;
}

/**
 * A holder on this host whose process is gone (killed, crashed): its lease would otherwise block every
 * run until it expires. Process ids are only meaningful on their own host, so other hosts wait for expiry.
 */
function isDeadLocalHolder(holder: string): boolean {
  const m = /^(.*):(\d+)$/.exec(holderProcess(holder));
  if (!m || m[1] !== hostname() || Number(m[2]) === process.pid) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes the named lease, or the lease of a dead process on this host; otherwise throws PB_ERR_SYNC_BUSY
 * saying who holds it (exit 75), so the operator knows which process to wait for. The lease is held by
 * `o.holder` plus a run number (see runHolder): renew and release it with the returned lease's `holder`.
 */
export async function acquireLease(
  leases: LeaseStore,
  o: { name: string; holder: string; ttlMs: number; now?: number; what?: string },
): Promise<JobLease> {
  const now = o.now ?? Date.now();
  const holder = runHolder(o.holder);
  let current: JobLease | undefined;
  // The holder may release between our refused acquire and the read: then the lease is free, try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const lease = await leases.acquire(o.name, holder, o.ttlMs, now);
    if (lease !== undefined) return lease;
    current = await leases.get(o.name);
    if (current !== undefined) break;
  }
  if (current !== undefined && isDeadLocalHolder(current.holder)) {
    const taken = await leases.takeOver(o.name, current.holder, holder, o.ttlMs, now);
    if (taken !== undefined) return taken;
  }
  const held = current;
  throw new AppError(
    'PB_ERR_SYNC_BUSY',
    `${o.what ?? `the "${o.name}" job`} is already running` + (held ? ` (${describeHolder(held)})` : ''),
    { detail: { job: o.name, holder: held?.holder ?? null, since: held?.acquiredAt ?? null } },
  );
}

export interface JobLeaseOptions {
  readonly name: string;
  /** Who runs it (processHolder()); each call holds the lease under its own run number (see acquireLease). */
  readonly holder: string;
  readonly ttlMs: number;
  /** What the refusal names ("a content download is already running"); default `the "<name>" job`. */
  readonly what?: string;
  /** Renewal period (default ttl / 3, so two renewals can fail before the lease lapses). */
  readonly renewEveryMs?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
}

/**
 * Runs `fn` while holding the named lease, so several Patchbay nodes on one database run a job once. The
 * lease is renewed in the background; if a renewal finds it taken over (expired while we were stalled, so
 * another node now holds it with a higher fencing token) the signal given to `fn` aborts and `fn` must stop
 * writing. Throws PB_ERR_SYNC_BUSY when another holder has an unexpired lease.
 */
export async function withJobLease<T>(
  leases: LeaseStore,
  o: JobLeaseOptions,
  fn: (signal: AbortSignal, lease: JobLease) => Promise<T>,
): Promise<T> {
  const now = o.now ?? Date.now;
  const lease = await acquireLease(leases, {
    name: o.name,
    holder: o.holder,
    ttlMs: o.ttlMs,
    now: now(),
    ...(o.what !== undefined ? { what: o.what } : {}),
  });
  const lost = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, lost.signal]) : lost.signal;
  let renewing: Promise<void> | undefined;
  const renew = () => {
    renewing ??= (async () => {
      try {
        const r = await leases.acquire(o.name, lease.holder, o.ttlMs, now());
        if (r === undefined || r.fencingToken !== lease.fencingToken) {
          o.logger?.error({ job: o.name, fencingToken: lease.fencingToken }, 'job lease lost: stopping');
          lost.abort(
            new AppError('PB_ERR_SYNC_BUSY', `the "${o.name}" job lease was taken over by another node`),
          );
        }
      } catch (err) {
        // A failed renewal is not yet a lost lease: it still runs until its expiry; the next tick retries.
        o.logger?.warn({ err, job: o.name }, 'job lease renewal failed');
      } finally {
        renewing = undefined;
      }
    })();
  };
  const timer = setInterval(renew, Math.max(10, o.renewEveryMs ?? Math.floor(o.ttlMs / 3)));
  timer.unref();
  try {
    return await fn(signal, lease);
  } finally {
    clearInterval(timer);
    await renewing;
    if (!lost.signal.aborted) await leases.release(o.name, lease.holder).catch(() => undefined);
  }
}
