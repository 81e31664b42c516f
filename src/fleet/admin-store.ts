/**
 * The storage ports of the administration services: each interface names only the methods the services
 * call, so what they can touch is visible here (and a second storage implementation knows what to offer).
 * The signatures are the repositories' own (indexed types), so a repository change that would break a
 * service fails to compile here. The storage repositories implement the ports structurally (wired in
 * src/admin/admin-services.ts); the services hold no adapter. `transaction` hands the callback stores bound
 * to one transaction: a change and its audit rows commit together or not at all.
 */
import type {
  AdminQueryRepository,
  ApiTokenRepository,
  ApprovalRepository,
  ApprovalRuleRepository,
  AuditLogRepository,
  ComputerRepository,
  DeploymentChangeRepository,
  DownstreamServerRepository,
  RollupRepository,
  FileRepository,
  GenerationRepository,
  GroupRepository,
  QuarantineRepository,
  RingFigureRepository,
  RingRepository,
  RolloutRepository,
  RevisionRepository,
  SettingsRepository,
  SupersedenceRepository,
} from '../storage/index.js';

/** The admin list and detail queries (updates, computers, approvals, audit, categories). */
export interface AdminQueryStore {
  listUpdates: AdminQueryRepository['listUpdates'];
  statusCounts: AdminQueryRepository['statusCounts'];
  bundleMembers: AdminQueryRepository['bundleMembers'];
  bundleParents: AdminQueryRepository['bundleParents'];
  categoriesOf: AdminQueryRepository['categoriesOf'];
  categoryTitles: AdminQueryRepository['categoryTitles'];
  resolveCategories: AdminQueryRepository['resolveCategories'];
  listComputers: AdminQueryRepository['listComputers'];
  countComputers: AdminQueryRepository['countComputers'];
  membershipsOf: AdminQueryRepository['membershipsOf'];
  memberCounts: AdminQueryRepository['memberCounts'];
  listApprovals: AdminQueryRepository['listApprovals'];
  listAudit: AdminQueryRepository['listAudit'];
}

export interface AdminRevisionStore {
  getManyByIds: RevisionRepository['getManyByIds'];
  listByUpdateId: RevisionRepository['listByUpdateId'];
}

export interface AdminGroupStore {
  list: GroupRepository['list'];
  ancestors: GroupRepository['ancestors'];
  create: GroupRepository['create'];
  move: GroupRepository['move'];
  delete: GroupRepository['delete'];
  groupsOf: GroupRepository['groupsOf'];
  setMemberships: GroupRepository['setMemberships'];
}

export interface AdminComputerStore {
  get: ComputerRepository['get'];
  delete: ComputerRepository['delete'];
}

export interface AdminApprovalStore {
  set: ApprovalRepository['set'];
  clear: ApprovalRepository['clear'];
  decline: ApprovalRepository['decline'];
  undecline: ApprovalRepository['undecline'];
  listForGroups: ApprovalRepository['listForGroups'];
  listForUpdate: ApprovalRepository['listForUpdate'];
}

export interface AdminApprovalRuleStore {
  list: ApprovalRuleRepository['list'];
  get: ApprovalRuleRepository['get'];
  create: ApprovalRuleRepository['create'];
  update: ApprovalRuleRepository['update'];
  delete: ApprovalRuleRepository['delete'];
}

export interface AdminAuditStore {
  append: AuditLogRepository['append'];
}

export interface AdminSettingsStore {
  get: SettingsRepository['get'];
  set: SettingsRepository['set'];
}

export interface AdminTokenStore {
  create: ApiTokenRepository['create'];
  list: ApiTokenRepository['list'];
  revoke: ApiTokenRepository['revoke'];
  findActiveByHash: ApiTokenRepository['findActiveByHash'];
  touch: ApiTokenRepository['touch'];
}

export interface AdminDeploymentChangeStore {
  append: DeploymentChangeRepository['append'];
}

/** The served catalog generation (which revisions `updates list/show` describe). */
export interface AdminGenerationStore {
  getActive: GenerationRepository['getActive'];
}

/** Why an approved update waits for its files. */
export interface AdminFileStore {
  contentGaps: FileRepository['contentGaps'];
}

export interface AdminQuarantineStore {
  listForUpdates: QuarantineRepository['listForUpdates'];
}

/** Which updates supersede which (transitively, within the active generation). */
export interface AdminSupersedenceStore {
  supersedersOf: SupersedenceRepository['supersedersOf'];
}

/** The downstream servers registry (`patchbay downstreams`). */
export interface AdminDownstreamStore {
  list: DownstreamServerRepository['list'];
  get: DownstreamServerRepository['get'];
  remove: DownstreamServerRepository['remove'];
}

/** The rollout rings (`patchbay rings`, docs/rings.md). */
export interface AdminRingStore {
  list: RingRepository['list'];
  get: RingRepository['get'];
  create: RingRepository['create'];
  update: RingRepository['update'];
  delete: RingRepository['delete'];
}

/** Ringed approvals and their history. */
export interface AdminRolloutStore {
  create: RolloutRepository['create'];
  get: RolloutRepository['get'];
  list: RolloutRepository['list'];
  activeRingIds: RolloutRepository['activeRingIds'];
  transition: RolloutRepository['transition'];
  noteHold: RolloutRepository['noteHold'];
  history: RolloutRepository['history'];
}

/** What a ring's health gate counts. */
export interface AdminRingFigureStore {
  figures: RingFigureRepository['figures'];
  failures: RingFigureRepository['failures'];
}

/** What downstreams rolled up (`patchbay downstreams show`). */
export interface AdminRollupStore {
  reportedServers: RollupRepository['reportedServers'];
}

export interface AdminStores {
  readonly revisions: AdminRevisionStore;
  readonly groups: AdminGroupStore;
  readonly computers: AdminComputerStore;
  readonly approvals: AdminApprovalStore;
  readonly approvalRules: AdminApprovalRuleStore;
  readonly adminQueries: AdminQueryStore;
  readonly auditLog: AdminAuditStore;
  readonly settings: AdminSettingsStore;
  readonly apiTokens: AdminTokenStore;
  readonly deploymentChanges: AdminDeploymentChangeStore;
  readonly generations: AdminGenerationStore;
  readonly files: AdminFileStore;
  readonly quarantine: AdminQuarantineStore;
  readonly supersedence: AdminSupersedenceStore;
  readonly downstreamServers: AdminDownstreamStore;
  readonly rings: AdminRingStore;
  readonly rollouts: AdminRolloutStore;
  readonly ringFigures: AdminRingFigureStore;
  readonly rollup: AdminRollupStore;
}

export interface AdminStore {
  readonly repos: AdminStores;
  transaction<T>(fn: (repos: AdminStores) => Promise<T>): Promise<T>;
  /** The stored update document of a revision (decoded UTF-8 XML), or undefined. */
  readDocument(revisionId: number): Promise<Buffer | undefined>;
}
