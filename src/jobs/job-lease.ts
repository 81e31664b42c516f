import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { JobLease } from '../storage/index.js';

/** The lease operations a single-runner job needs (the `jobLeases` repository implements them). */
export interface LeaseStore {
  acquire(name: string, holder: string, ttlMs: number, now?: number): Promise<JobLease | undefined>;
  release(name: string, holder: string): Promise<boolean>;
}

export interface JobLeaseOptions {
  readonly name: string;
  /** Who runs it (node id); the same holder renews, anyone else waits for expiry. */
  readonly holder: string;
  readonly ttlMs: number;
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
  const lease = await leases.acquire(o.name, o.holder, o.ttlMs, now());
  if (lease === undefined)
    throw new AppError('PB_ERR_SYNC_BUSY', `another node holds the "${o.name}" job lease`, {
      detail: { job: o.name },
    });
  const lost = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, lost.signal]) : lost.signal;
  let renewing: Promise<void> | undefined;
  const renew = () => {
    renewing ??= (async () => {
      try {
        const r = await leases.acquire(o.name, o.holder, o.ttlMs, now());
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
    if (!lost.signal.aborted) await leases.release(o.name, o.holder).catch(() => undefined);
  }
}
