import type { ContentState, DeploymentChange, RevisionIdentity } from '../storage/index.js';

/**
 * What content planning, `content verify` and `content status` need from storage. The storage repositories
 * implement these structurally (`createRepositories(...)`), so no query is written here.
 */
export interface ContentPlanStore {
  memberRevisionIds(generationId: number): Promise<number[]>;
  installApprovedUpdateIds(): Promise<string[]>;
  memberRevisionIdsOfUpdates(generationId: number, updateIds: readonly string[]): Promise<number[]>;
  bundledRevisionIds(revisionIds: readonly number[]): Promise<number[]>;
  fileSha1sOf(revisionIds: readonly number[], options?: { express?: boolean }): Promise<Buffer[]>;
}

export interface ContentStateStore {
  queueAbsent(sha1s: readonly Buffer[], now?: number): Promise<number>;
  verifiedSha1s(): Promise<Buffer[]>;
  adoptStored(sha1s: readonly Buffer[], now?: number): Promise<number>;
  totals(): Promise<{ state: ContentState; files: number; bytes: number }[]>;
  recentFailures(
    limit: number,
  ): Promise<{ sha1: Buffer; name: string; lastError: string | null; attempts: number }[]>;
}

export interface ActiveGenerationStore {
  getActive(): Promise<{ generationId: number } | undefined>;
}

export interface FileStateStore {
  setState(
    sha1s: readonly Buffer[],
    state: ContentState,
    error: string | null,
    now?: number,
  ): Promise<number>;
}

export interface ContentStores {
  readonly generations: ActiveGenerationStore;
  readonly files: FileStateStore;
  readonly contentPlan: ContentPlanStore;
  readonly contentState: ContentStateStore;
}

/** The catalog reads behind a `content` deployment change (`announceContentChange`). */
export interface ContentChangeStore {
  revisionsUsingFiles(sha1s: readonly Buffer[]): Promise<RevisionIdentity[]>;
  bundlesInstalling(child: RevisionIdentity): Promise<RevisionIdentity[]>;
  installApprovedAmong(updateIds: readonly string[]): Promise<string[]>;
}

export interface ContentChangeStores {
  readonly contentChanges: ContentChangeStore;
  readonly deploymentChanges: {
    append(
      changes: readonly Omit<DeploymentChange, 'changeSeq' | 'changedAt'>[],
      now?: number,
    ): Promise<void>;
  };
}
