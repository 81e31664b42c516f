import type { LeaseStore } from '../../jobs/index.js';
import type {
  AnchorRecord,
  CatalogPin,
  Executor,
  GenerationMember,
  GenerationRecord,
  QuarantineInput,
  QuarantineRecord,
  RevisionGraphNode,
  RevisionIdentity,
  RevisionInput,
  SyncCounters,
  SyncRunFinish,
  SyncRunRecord,
} from '../../storage/index.js';

/**
 * What a synchronization run needs from storage. The storage repositories implement these structurally
 * (`createRepositories(...)`, see sync-stores.ts), so no query is written in the engine.
 */

/** The held revisions and their relationships, read whole (the run keeps them in memory). */
export interface RevisionGraphStore {
  identities(): Promise<RevisionIdentity[]>;
  bundledIdentities(): Promise<RevisionIdentity[]>;
  prerequisiteUpdateIds(): Promise<string[]>;
  nodes(): Promise<RevisionGraphNode[]>;
}

export interface RevisionImportStore {
  /** Stores a batch; the revision ids in input order. */
  upsertMany(inputs: readonly RevisionInput[], now?: number): Promise<number[]>;
}

export interface CategoryTypeStore {
  types(): Promise<Map<string, string | null>>;
}

export interface QuarantineStore {
  list(page?: { limit?: number }): Promise<QuarantineRecord[]>;
  add(entries: readonly QuarantineInput[], now?: number): Promise<void>;
  clear(identities: readonly RevisionIdentity[]): Promise<number>;
}

/** The content seam: files of imported revisions queued for download (content mode `all`). */
export interface ContentQueueStore {
  queueAbsent(sha1s: readonly Buffer[], now?: number): Promise<number>;
}

export interface AnchorStore {
  get(scope: string): Promise<AnchorRecord | undefined>;
  setPending(scope: string, anchor: string, syncRunId: number | null, now?: number): Promise<void>;
  promote(scope: string, now?: number): Promise<string>;
  reset(scope: string): Promise<void>;
}

export interface SettingStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, updatedBy?: string | null, now?: number): Promise<void>;
}

export interface SyncRunStore {
  list(limit?: number): Promise<SyncRunRecord[]>;
  start(
    input: { kind: string; triggerSource: string; nodeId?: string },
    now?: number,
  ): Promise<SyncRunRecord>;
  addCounters(syncRunId: number, delta: SyncCounters, now?: number): Promise<SyncCounters>;
  finish(syncRunId: number, result: SyncRunFinish, now?: number): Promise<void>;
}

/** Staging and the one-transaction switch of catalog generations. */
export interface GenerationStore {
  list(limit?: number): Promise<GenerationRecord[]>;
  getActive(): Promise<GenerationRecord | undefined>;
  listMembers(
    generationId: number,
    page?: { afterRevisionId?: number; limit?: number },
  ): Promise<GenerationMember[]>;
  getPin(): Promise<CatalogPin | undefined>;
  createStaged(options?: { syncRunId?: number; note?: string }, now?: number): Promise<GenerationRecord>;
  copyMembers(fromGenerationId: number, toGenerationId: number): Promise<void>;
  removeMembers(generationId: number, revisionIds: readonly number[]): Promise<void>;
  addMembers(generationId: number, members: readonly GenerationMember[]): Promise<void>;
  activate(
    generationId: number,
    now?: number,
    alsoInTransaction?: (trx: Executor) => Promise<void>,
  ): Promise<GenerationRecord>;
  abandon(generationId: number, now?: number): Promise<void>;
}

export interface SyncStores {
  readonly revisionGraph: RevisionGraphStore;
  readonly revisions: RevisionImportStore;
  readonly categories: CategoryTypeStore;
  readonly quarantine: QuarantineStore;
  readonly contentState: ContentQueueStore;
  readonly anchors: AnchorStore;
  readonly settings: SettingStore;
  readonly syncRuns: SyncRunStore;
  readonly generations: GenerationStore;
  readonly jobLeases: LeaseStore;
}

/** Runs `fn` with stores bound to one transaction (a batch's revisions, quarantine and counters commit together). */
export type SyncTransaction = <T>(fn: (stores: SyncStores) => Promise<T>) => Promise<T>;
