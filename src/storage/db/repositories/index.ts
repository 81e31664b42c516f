import { CleanupRepository } from './cleanup-repository.js';
import type { DialectName } from '../dialect.js';
import type { Executor } from '../transaction.js';
import { AdminQueryRepository } from './admin-query-repository.js';
import { AdminSessionRepository } from './admin-session-repository.js';
import { AnchorRepository } from './anchor-repository.js';
import { ApiTokenRepository } from './api-token-repository.js';
import { ApprovalRepository } from './approval-repository.js';
import { ApprovalRuleRepository } from './approval-rule-repository.js';
import { AuditLogRepository } from './audit-log-repository.js';
import { CatalogRolloutRepository } from './catalog-rollout-repository.js';
import { CategoryRepository } from './category-repository.js';
import { ClientCatalogRepository } from './client-catalog-repository.js';
import { ClientEventRepository } from './client-event-repository.js';
import { ComputerRepository } from './computer-repository.js';
import { ConnectorStateRepository } from './connector-state-repository.js';
import { ConnectorViewRepository } from './connector-view-repository.js';
import { ContentChangeRepository } from './content-change-repository.js';
import { ContentPlanRepository } from './content-plan-repository.js';
import { ContentStateRepository } from './content-state-repository.js';
import { CookieKeyRepository } from './cookie-key-repository.js';
import { DatabaseSizeRepository } from './database-size-repository.js';
import { DownstreamServerRepository } from './downstream-server-repository.js';
import { DeploymentChangeRepository } from './deployment-change-repository.js';
import { DeploymentFeedRepository } from './deployment-feed-repository.js';
import { ReplicaRepository } from './replica-repository.js';
import { FileRepository } from './file-repository.js';
import { GenerationRepository } from './generation-repository.js';
import { GroupRepository } from './group-repository.js';
import { HealthRepository } from './health-repository.js';
import { JobLeaseRepository } from './job-lease-repository.js';
import { JobRepository } from './job-repository.js';
import { OpsStatsRepository } from './ops-stats-repository.js';
import { QuarantineRepository } from './quarantine-repository.js';
import { ReportQueryRepository } from './report-query-repository.js';
import { RingFigureRepository } from './ring-figure-repository.js';
import { RingRepository } from './ring-repository.js';
import { RolloutRepository } from './rollout-repository.js';
import { RollupRepository } from './rollup-repository.js';
import { RollupOutboxRepository } from './rollup-outbox-repository.js';
import { RollupSummaryRepository } from './rollup-summary-repository.js';
import { RevisionGraphRepository } from './revision-graph-repository.js';
import { RevisionRepository } from './revision-repository.js';
import { SettingsRepository } from './settings-repository.js';
import { SupersedenceRepository } from './supersedence-repository.js';
import { SyncRunRepository } from './sync-run-repository.js';
import { UpdateStatusRepository } from './update-status-repository.js';
import { UpstreamCatalogRepository } from './upstream-catalog-repository.js';

/**
 * Every repository over one executor. Cheap to build: inside `handle.transaction(trx => ...)` call
 * `createRepositories({ db: trx, dialect: handle.dialect })` so all writes join that transaction.
 */
export function createRepositories(ctx: { db: Executor; dialect: DialectName }) {
  const { db, dialect } = ctx;
  return {
    revisions: new RevisionRepository(db, dialect),
    revisionGraph: new RevisionGraphRepository(db),
    generations: new GenerationRepository(db, dialect),
    catalogRollouts: new CatalogRolloutRepository(db, dialect),
    quarantine: new QuarantineRepository(db),
    files: new FileRepository(db),
    anchors: new AnchorRepository(db),
    syncRuns: new SyncRunRepository(db),
    deploymentChanges: new DeploymentChangeRepository(db),
    computers: new ComputerRepository(db),
    groups: new GroupRepository(db, dialect),
    approvals: new ApprovalRepository(db),
    clientEvents: new ClientEventRepository(db, dialect),
    updateStatus: new UpdateStatusRepository(db),
    settings: new SettingsRepository(db),
    cookieKeys: new CookieKeyRepository(db),
    apiTokens: new ApiTokenRepository(db),
    adminSessions: new AdminSessionRepository(db),
    jobLeases: new JobLeaseRepository(db),
    jobs: new JobRepository(db),
    auditLog: new AuditLogRepository(db),
    connectorState: new ConnectorStateRepository(db),
    approvalRules: new ApprovalRuleRepository(db),
    adminQueries: new AdminQueryRepository(db),
    categories: new CategoryRepository(db),
    contentPlan: new ContentPlanRepository(db),
    contentState: new ContentStateRepository(db),
    connectorViews: new ConnectorViewRepository(db, dialect),
    clientCatalog: new ClientCatalogRepository(db),
    contentChanges: new ContentChangeRepository(db),
    health: new HealthRepository(db),
    opsStats: new OpsStatsRepository(db),
    supersedence: new SupersedenceRepository(db),
    databaseSize: new DatabaseSizeRepository(db, dialect),
    reportQueries: new ReportQueryRepository(db, dialect),
    upstreamCatalog: new UpstreamCatalogRepository(db),
    downstreamServers: new DownstreamServerRepository(db),
    deploymentFeed: new DeploymentFeedRepository(db),
    replica: new ReplicaRepository(db, dialect),
    cleanup: new CleanupRepository(db, dialect),
    rings: new RingRepository(db, dialect),
    ringFigures: new RingFigureRepository(db),
    rollouts: new RolloutRepository(db),
    rollup: new RollupRepository(db),
    rollupOutbox: new RollupOutboxRepository(db),
    rollupSummary: new RollupSummaryRepository(db, dialect),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

export * from './admin-query-repository.js';
export * from './admin-session-repository.js';
export * from './anchor-repository.js';
export * from './api-token-repository.js';
export * from './approval-repository.js';
export * from './approval-rule-repository.js';
export * from './audit-log-repository.js';
export * from './catalog-rollout-repository.js';
export * from './category-repository.js';
export * from './cleanup-repository.js';
export * from './client-catalog-repository.js';
export * from './client-event-repository.js';
export * from './computer-repository.js';
export * from './connector-state-repository.js';
export * from './connector-view-repository.js';
export * from './content-change-repository.js';
export * from './content-plan-repository.js';
export * from './content-state-repository.js';
export * from './cookie-key-repository.js';
export * from './database-size-repository.js';
export * from './deployment-change-repository.js';
export * from './deployment-feed-repository.js';
export * from './replica-repository.js';
export * from './downstream-server-repository.js';
export * from './rollup-repository.js';
export * from './rollup-outbox-repository.js';
export * from './file-repository.js';
export * from './ops-stats-repository.js';
export * from './generation-repository.js';
export * from './group-repository.js';
export * from './health-repository.js';
export * from './job-lease-repository.js';
export * from './job-repository.js';
export * from './quarantine-repository.js';
export * from './report-query-repository.js';
export * from './revision-graph-repository.js';
export * from './ring-figure-repository.js';
export * from './ring-repository.js';
export * from './rollout-repository.js';
export * from './revision-ids.js';
export { RevisionRepository } from './revision-repository.js';
export type * from './revision-types.js';
export * from './settings-repository.js';
export * from './supersedence-repository.js';
export * from './sync-run-repository.js';
export * from './update-status-repository.js';
export * from './upstream-catalog-repository.js';
