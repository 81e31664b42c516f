/**
 * Builds the administration services over one database handle. The REST API (main.ts) and the CLI both call
 * this, so both front ends run the same code path against the database.
 */
import { ApprovalRulesService } from '../fleet/index.js';
import { ApprovalsService } from '../fleet/index.js';
import { AuditService } from '../fleet/index.js';
import type { AdminStore } from '../fleet/index.js';
import { ComputersAdminService } from '../fleet/index.js';
import { GroupsService } from '../fleet/index.js';
import { UpdatesService } from '../fleet/index.js';
import { SupersededDeclineService } from '../fleet/index.js';
import { ReplicaGuard, replicaUpstreamName } from '../fleet/index.js';
import { RingsService, RolloutsService, type RolloutEventSink } from '../fleet/index.js';
import type { ContentMode } from '../domain/index.js';
import { createRepositories, decodeBlob, type DbHandle } from '../storage/index.js';
import { DownstreamsService } from './downstreams-service.js';
import { SessionService } from './session-service.js';
import { TokenService } from './token-service.js';

export interface AdminServices {
  readonly updates: UpdatesService;
  readonly groups: GroupsService;
  readonly computers: ComputersAdminService;
  readonly approvals: ApprovalsService;
  readonly supersededDeclines: SupersededDeclineService;
  readonly rules: ApprovalRulesService;
  readonly audit: AuditService;
  readonly tokens: TokenService;
  /** Web console sessions (cookie sign-in). */
  readonly sessions: SessionService;
  readonly downstreams: DownstreamsService;
  readonly rings: RingsService;
  readonly rollouts: RolloutsService;
}

export function adminStoreFor(handle: DbHandle): AdminStore {
  const repos = createRepositories(handle);
  return {
    repos,
    transaction: (fn) =>
      handle.transaction((trx) => fn(createRepositories({ db: trx, dialect: handle.dialect }))),
    readDocument: async (revisionId) => {
      const blob = await repos.revisions.getDocument(revisionId);
      return blob === undefined ? undefined : decodeBlob(blob);
    },
  };
}

export interface AdminServicesOptions {
  /** `content.mode`: whether approved updates wait for their files (shown by `updates list/show`). */
  readonly contentMode?: ContentMode;
  /** `content.express`: with it off, approved updates do not wait for the express files not downloaded. */
  readonly express?: boolean;
  /** Told after approvals were written (the server starts downloading their files at once). */
  readonly onApprovalsApplied?: (updateIds: readonly string[]) => void;
  /** `maintenance.decline_superseded_after_days` (default 30, the configuration default). */
  readonly declineSupersededAfterDays?: number;
  /**
   * The `[upstream] url` when `[upstream] mode = replica`: approval, decline, group-tree and rule changes are
   * then refused naming it (PB_ERR_REPLICA_READ_ONLY). Undefined: autonomous.
   */
  readonly replicaOf?: string;
  /** Where rollout events (rollout.promoted, rollout.paused, ...) go: the server's log. */
  readonly rolloutEvents?: RolloutEventSink;
}

/** The `replicaOf` option the configuration implies. */
export function replicaOfConfig(config: {
  readonly upstream: { readonly mode: string; readonly url: string };
}): { replicaOf?: string } {
  return config.upstream.mode === 'replica' ? { replicaOf: config.upstream.url } : {};
}

export function createAdminServices(handle: DbHandle, opts: AdminServicesOptions = {}): AdminServices {
  const store = adminStoreFor(handle);
  const updates = new UpdatesService(store, opts.contentMode, opts.express ?? false);
  const replica = new ReplicaGuard(
    opts.replicaOf === undefined ? undefined : replicaUpstreamName(opts.replicaOf),
  );
  const groups = new GroupsService(store, replica);
  const approvals = new ApprovalsService(store, updates, groups, opts.onApprovalsApplied, replica);
  const rings = new RingsService(store, groups);
  const tokens = new TokenService(store);
  const rollouts = new RolloutsService(store, rings, approvals, {
    ...(opts.onApprovalsApplied ? { onApplied: opts.onApprovalsApplied } : {}),
    ...(opts.rolloutEvents ? { events: opts.rolloutEvents } : {}),
  });
  return {
    updates,
    groups,
    computers: new ComputersAdminService(store, groups),
    approvals,
    supersededDeclines: new SupersededDeclineService(
      store,
      approvals,
      opts.declineSupersededAfterDays ?? 30,
      replica,
    ),
    rules: new ApprovalRulesService(store, approvals, groups, rollouts, replica),
    audit: new AuditService(store),
    tokens,
    sessions: new SessionService(createRepositories(handle).adminSessions, tokens),
    downstreams: new DownstreamsService(store),
    rings,
    rollouts,
  };
}
