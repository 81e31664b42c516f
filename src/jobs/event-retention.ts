import type { Logger } from 'pino';
import type { JobDefinition } from './job-registry.js';

/** The retention job's view of the raw client events (ClientEventRepository). */
export interface RawEventStore {
  deleteReceivedBefore(before: number, limit: number): Promise<number>;
}

/** Rows per DELETE: small enough that no statement holds the write lock long enough to stall client reports. */
export const retentionBatchSize = 2_000;

/**
 * Deletes raw client events received more than `retentionMs` ago, in batches of `batchSize`, until none is
 * left or `signal` aborts (between batches, so a stop never leaves a statement half done). The per-update
 * states derived from the events are in another table and stay. Returns how many were deleted.
 */
export async function pruneRawEvents(
  store: RawEventStore,
  options: { retentionMs: number; now: number; batchSize?: number; signal?: AbortSignal },
): Promise<number> {
  const batch = options.batchSize ?? retentionBatchSize;
  const before = options.now - options.retentionMs;
  let deleted = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const n = await store.deleteReceivedBefore(before, batch);
    deleted += n;
    if (n < batch) return deleted;
    // Let client requests in between batches (one SQLite writer, one event loop).
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * `[clients] event_retention_days` as a job: hourly (with jitter), once per cluster (lease + slot ledger), so
 * several nodes sharing one PostgreSQL do not race each other's deletes. Not registered when retention is 0.
 */
export function eventRetentionJob(deps: { store: RawEventStore; retentionDays: number }): JobDefinition {
  const retentionMs = deps.retentionDays * 86_400_000;
  return {
    name: 'client-event-retention',
    description: 'delete raw client events older than clients.event_retention_days',
    trigger: { kind: 'cron', pattern: '17 * * * *', jitterMs: 10 * 60_000 },
    run: async ({ signal, logger }: { signal: AbortSignal; logger: Logger }) => {
      const deleted = await pruneRawEvents(deps.store, { retentionMs, now: Date.now(), signal });
      if (deleted > 0)
        logger.info({ deleted, retentionDays: deps.retentionDays }, 'old raw client events deleted');
    },
  };
}
