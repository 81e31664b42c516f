import { storedCatalogRings } from '../rollout/catalog-rollout-job.js';
import { pino } from 'pino';
import { toAppError } from '../../errors.js';
import { acquireLease, processHolder } from '../../jobs/index.js';
import { defaultServerSyncLimits } from '../../protocol/server-sync/index.js';
import { createRepositories } from '../../storage/index.js';
import { ServerSyncClient } from './server-sync-client.js';
import { SyncRun } from './sync-run.js';
import { syncStoresOf } from './sync-stores.js';
import type { SyncRunContext } from './sync-context.js';
import {
  defaultLeaseTtlMs,
  syncLeaseName,
  type SyncDeps,
  type SyncOptions,
  type SyncResult,
} from './sync-types.js';

/**
 * One synchronization run from an MS-WSUSSS upstream (docs/protocol/server-sync.md §2.2, docs/protocol/update-xml.md §3.7): auth, config, categories
 * (GetConfig=true, deduplicated, highest revision kept), the product AND classification list (Delta iff an
 * anchor is sent), GetUpdateData in batches within the upstream's limit (partial answers re-requested, a
 * whole-call fault bisected down to the one bad id), the closure (bundle members, prerequisites and categories
 * the listings name), then validation and an atomic switch to a new catalog generation.
 *
 * Crash safety: every batch commits on its own (revisions, quarantine entries, run counters); revisions already
 * held are never fetched again, so a restarted run resumes from the last committed batch; anchors are stored as
 * pending and promoted only after their phase committed; the generation is staged invisibly and activated in
 * one transaction, and a staged generation left by a crash is abandoned by the next run.
 *
 * Throws AppError after recording the run as failed; the previous generation keeps serving.
 */
export async function runSync(deps: SyncDeps, options: SyncOptions): Promise<SyncResult> {
  return recordedRun(deps, options, async (base) => {
    const client = new ServerSyncClient({
      transport: deps.transport,
      url: options.upstreamUrl,
      accountName: options.accountName,
      // A stable server id (our instance id, as WSUS sends its ServerId): the upstream's registry of its
      // downstream servers then holds one row for us, not one per sync.
      accountGuid:
        options.accountGuid ?? (await createRepositories(deps.db).settings.getOrCreateInstanceId()),
      protocolVersion: options.protocolVersion,
      limits: base.limits,
      now: base.now,
      logger: base.log,
    });
    const engine = new SyncRun(deps, {
      ...base,
      client,
      // The stored rings unless the caller gives its own: a changed catalog then starts in ring 0.
      options: { ...options, rings: options.rings ?? storedCatalogRings(deps.db) },
    });
    return engine.execute();
  });
}

/** What a recorded run hands its body: the context of a run without its upstream client. */
export type RecordedRunBase = Omit<SyncRunContext, 'client' | 'state' | 'tally'>;

/**
 * The frame of a metadata run, shared by runSync and the bundle import (src/bundle): the sync lease, runs and
 * staged generations a dead process left behind, the run record, and its outcome (failed with the error,
 * the previous generation serving).
 */
export async function recordedRun(
  deps: Omit<SyncDeps, 'transport'>,
  options: SyncOptions,
  body: (base: RecordedRunBase) => Promise<SyncResult>,
): Promise<SyncResult> {
  const log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'sync' });
  const now = deps.now ?? Date.now;
  const { stores, transaction } = syncStoresOf(deps.db);
  const nodeId = options.nodeId ?? processHolder();
  const leaseTtl = options.leaseTtlMs ?? defaultLeaseTtlMs;
  // Refused before a run is recorded: a refused attempt is not a run and touches nothing in history.
  const lease = await acquireLease(stores.jobLeases, {
    name: syncLeaseName,
    holder: nodeId,
    ttlMs: leaseTtl,
    what: 'another synchronization',
  });

  // We hold the sync lease: any metadata run still marked running died with its process. Content runs have
  // their own lease and may be running right now on another process.
  for (const r of await stores.syncRuns.list(20))
    if (r.outcome === 'running' && r.kind === 'metadata')
      await stores.syncRuns.finish(r.syncRunId, {
        outcome: 'cancelled',
        error: {
          code: 'PB_ERR_INTERNAL',
          message: 'the process ended during the run (resumed by a later run)',
        },
      });
  for (const g of await stores.generations.list(200))
    if (g.state === 'staged') await stores.generations.abandon(g.generationId);

  const run = await stores.syncRuns.start({
    kind: 'metadata',
    triggerSource: options.triggerSource ?? 'manual',
    nodeId,
  });
  try {
    const result = await body({
      stores,
      transaction,
      options,
      limits: options.limits ?? defaultServerSyncLimits,
      log: log.child({ syncRunId: run.syncRunId }),
      now,
      runId: run.syncRunId,
      leaseHolder: lease.holder,
    });
    await stores.syncRuns.finish(run.syncRunId, {
      outcome: result.outcome,
      generationId: result.generationId ?? undefined,
      ...(result.note !== null ? { note: result.note } : {}),
    });
    return result;
  } catch (e) {
    const err = toAppError(e);
    log.error(
      { err, syncRunId: run.syncRunId },
      'synchronization failed; the previous catalog generation keeps serving',
    );
    await stores.syncRuns
      .finish(run.syncRunId, {
        outcome: 'failed',
        error: { code: err.code, message: err.message, detail: err.detail },
      })
      .catch(() => undefined);
    throw err;
  } finally {
    await stores.jobLeases.release(syncLeaseName, lease.holder).catch(() => undefined);
  }
}
