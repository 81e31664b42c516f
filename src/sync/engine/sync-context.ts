import type { Logger } from 'pino';
import type { ServerSyncLimits } from '../../protocol/server-sync/index.js';
import type { HeldState } from './held-state.js';
import type { RunTally } from './run-tally.js';
import type { ServerSyncClient } from './server-sync-client.js';
import type { SyncStores, SyncTransaction } from './sync-ports.js';
import type { SyncOptions } from './sync-types.js';

/** What every step of one synchronization run shares: its stores, upstream client, state and tally. */
export interface SyncRunContext {
  readonly stores: SyncStores;
  readonly transaction: SyncTransaction;
  readonly client: ServerSyncClient;
  readonly options: SyncOptions;
  readonly limits: ServerSyncLimits;
  readonly log: Logger;
  readonly now: () => number;
  readonly runId: number;
  /** The sync lease's holder (this run's own), for renewals. */
  readonly leaseHolder: string;
  readonly state: HeldState;
  readonly tally: RunTally;
}

/**
 * What the revision import steps (fetch-revisions, commit-batch, closure-check, activate-generation) use of a
 * run: only GetUpdateData of the upstream client. A bundle import (src/bundle) supplies the documents
 * through the same steps, so they pass the same validation and quarantine as a sync.
 */
export type RevisionImportContext = Omit<SyncRunContext, 'client'> & {
  readonly client: Pick<ServerSyncClient, 'getUpdateData'>;
};
