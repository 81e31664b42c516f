import type { Logger } from 'pino';
import type { CatalogRingSource, ContentMode } from '../../domain/index.js';
import type { ServerSyncLimits } from '../../protocol/server-sync/index.js';
import type { DbHandle } from '../../storage/index.js';
import type { SyncSelection } from './selection.js';
import type { ReplicaOutcome } from './replica-deployments.js';
import type { SoapPoster } from './server-sync-client.js';

export type SyncPhase =
  'auth' | 'config' | 'categories' | 'updates' | 'closure' | 'validate' | 'deployments' | 'activate' | 'done';

/** Progress for the CLI bar: cumulative counters of the run and the phase's total when known. */
export interface SyncProgress {
  readonly phase: SyncPhase;
  readonly counters: Readonly<Record<string, number>>;
  /** Revisions the current phase has to fetch. */
  readonly phaseTotal: number;
}

export interface SyncDeps {
  readonly db: DbHandle;
  readonly transport: SoapPoster;
  readonly logger?: Logger;
  /** Clock for cookie renewal and quarantine backoff (tests inject one). */
  readonly now?: () => number;
}

export interface SyncOptions {
  /** ServerSync URL of the upstream (default Microsoft Update, from the `[upstream]` config). */
  readonly upstreamUrl: string;
  readonly triggerSource?: string;
  /** Lease holder (default processHolder(): host and pid); a dead process's lease on this host is taken over. */
  readonly nodeId?: string;
  /** Used until the admin stored a selection (the `[selection]` config section). */
  readonly defaultSelection?: SyncSelection;
  /** Cap below the upstream's MaxNumberOfUpdatesPerRequest (never above it). */
  readonly maxUpdatesPerRequest?: number;
  readonly limits?: ServerSyncLimits;
  readonly protocolVersion?: string;
  readonly accountName?: string;
  readonly accountGuid?: string;
  /**
   * `[upstream] mode = replica`: after the metadata, GetDeployments, and the upstream's groups, approvals,
   * declines and EULA acceptances applied with the activation.
   */
  readonly replica?: boolean;
  /** `all` queues every imported file for download; `approved` leaves it to approvals; `none` never. */
  readonly contentMode?: ContentMode;
  /** `[content] express`: with `all`, also queue express-installation files (default false). */
  readonly express?: boolean;
  /**
   * The rollout rings: with two or more, a changed catalog is first served to ring 0 and promoted ring by
   * ring (docs/rings.md "Ringed catalog changes"); none or one: activated for everyone at once.
   */
  readonly rings?: CatalogRingSource;
  /** Quarantine retry backoff: base * 2^retries, capped. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly leaseTtlMs?: number;
  readonly onProgress?: (p: SyncProgress) => void;
  /** Test hook: awaited after every committed GetUpdateData batch. */
  readonly afterBatch?: () => void | Promise<void>;
}

export interface SyncResult {
  readonly syncRunId: number;
  readonly outcome: 'succeeded' | 'partial';
  /** The active generation after the run (unchanged when the catalog did not change). */
  readonly generationId: number | null;
  readonly generationChanged: boolean;
  /** Set when `catalog rollback` pinned the catalog and this run's changes were not activated. */
  readonly pinnedGenerationId: number | null;
  /** What the run did not do and why, as history shows it ("not activated: catalog pinned to generation N"). */
  readonly note: string | null;
  readonly counters: Readonly<Record<string, number>>;
  /** Upstream calls per operation. */
  readonly calls: Readonly<Record<string, number>>;
  /** Revision ids this run stored (committed batches), for the automatic approval rules. */
  readonly importedRevisionIds: readonly number[];
  /** Replica mode: what the upstream's deployments changed here (all counts zero when nothing changed). */
  readonly replica?: ReplicaOutcome;
}

/** The sync's job lease: one metadata synchronization at a time across the cluster. */
export const syncLeaseName = 'sync';
export const defaultLeaseTtlMs = 15 * 60_000;
