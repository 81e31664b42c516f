import type { ServedPosition, ServedRevision, ServedRevisionQuery } from '../storage/index.js';
import type {
  DownstreamAuth,
  RevisionIdentity,
  RollupComputerRow,
  RollupOutcome,
  RollupServerRow,
  RollupStatusRow,
} from '../storage/index.js';
import type { DeploymentPoint, FeedApproval, FeedGroup, FeedRevision, StoredBlob } from '../storage/index.js';

/** The served catalog as the upstream role reads it; `createRepositories(...).upstreamCatalog` implements it. */
export interface UpstreamCatalogStore {
  currentPosition(now?: number): Promise<ServedPosition | undefined>;
  position(seq: number): Promise<ServedPosition | undefined>;
  generationKept(generationId: number): Promise<boolean>;
  listRevisions(q: ServedRevisionQuery): Promise<RevisionIdentity[]>;
  servedRevisions(
    generationId: number,
    identities: readonly RevisionIdentity[],
  ): Promise<Map<string, ServedRevision>>;
  servedFileStates(generationId: number, sha1s: readonly Buffer[]): Promise<Map<string, string>>;
}

/** The downstream registry (`createRepositories(...).downstreamServers` implements it). */
export interface DownstreamRegistryStore {
  /** False when `maxRows` servers are registered and this id is new. */
  recordAuth(a: DownstreamAuth, maxRows: number): Promise<boolean>;
  recordSession(serverId: string, protocolVersion: string, at: number): Promise<void>;
  recordSync(serverId: string, at: number): Promise<void>;
}

/** The deployment change log and state GetDeployments serves (`createRepositories(...).deploymentFeed`). */
export interface DeploymentFeedStore {
  latest(): Promise<DeploymentPoint | undefined>;
  point(seq: number): Promise<DeploymentPoint | undefined>;
  pointBefore(seq: number): Promise<DeploymentPoint | undefined>;
  groups(): Promise<FeedGroup[]>;
  approvalsChanged(after: number, upTo: number): Promise<FeedApproval[]>;
  approvalsCleared(after: number, upTo: number): Promise<{ updateId: string; groupId: string }[]>;
  declinedUpdateIds(): Promise<string[]>;
  acceptedEulaIds(): Promise<string[]>;
  highestServed(generationId: number, updateIds: readonly string[]): Promise<Map<string, FeedRevision>>;
  documents(revisionIds: readonly number[]): Promise<Map<number, StoredBlob>>;
}

export interface UpstreamStores {
  readonly catalog: UpstreamCatalogStore;
  readonly deployments: DeploymentFeedStore;
  readonly downstreams: DownstreamRegistryStore;
  /** The language codes we synchronize (`[selection] languages` or the admin's selection). */
  enabledLanguages(): Promise<readonly string[]>;
  /** Queues absent files for download; returns how many moved. */
  queueFiles(sha1s: readonly Buffer[], now: number): Promise<number>;
}

/** Reporting roll-up storage (`createRollupStore` in create-upstream-service.ts adapts the repositories). */
export interface RollupStore {
  /** This server's RollupResetGuid (created once; a new one makes every downstream resend everything). */
  resetGuid(): Promise<string>;
  /** A registered (direct) downstream: its last authorization address. */
  downstream(serverId: string): Promise<{ readonly address: string | null } | undefined>;
  isDownstream(serverId: string): Promise<boolean>;
  /** The direct downstream a server id belongs to (itself, or the one that rolled it up). */
  ownerOf(serverId: string): Promise<string | undefined>;
  subtree(reportedBy: string): Promise<Set<string>>;
  recordServers(
    reportedBy: string,
    servers: readonly RollupServerRow[],
    maxServers: number,
    now: number,
  ): Promise<RollupOutcome>;
  recordComputers(
    reportedBy: string,
    computers: readonly RollupComputerRow[],
    maxComputers: number,
    now: number,
  ): Promise<RollupOutcome & { readonly newParent: string[] }>;
  outOfSync(
    reportedBy: string,
    numbers: readonly { readonly computerId: string; readonly rollupNumber: number }[],
  ): Promise<string[]>;
  recordStatus(reportedBy: string, rows: readonly RollupStatusRow[], now: number): Promise<RollupOutcome>;
}
