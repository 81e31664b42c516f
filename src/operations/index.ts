// Operations: health checks, the status screen, the /metrics scrape source and the notification jobs.
export { diskUsage, type DiskUsage } from './disk.js';
export {
  healthExitCodes,
  probeContentStore,
  runHealthChecks,
  worstOf,
  type HealthCheck,
  type HealthDeps,
  type HealthReport,
  type HealthStatus,
} from './health-checks.js';
export { serverStatus, type ServerStatus, type SyncRunSummary } from './server-status.js';
export { storageScrapeSource } from './scrape-source.js';
export { conditionWatchJob, notifyStale, summaryJob } from './ops-jobs.js';
export { syncOutcomeNotifications } from './sync-notifications.js';
export { phaseCounter, syncStatus, syncSummary, syncWasPartial, type SyncStatus } from './sync-admin.js';
export {
  changeSelection,
  configSelection,
  listSelection,
  replaceSelection,
  selectionKinds,
  storeSelection,
  upstreamLanguages,
  type LanguageRow,
  type SelectionKind,
  type SelectionListing,
  type SelectionRow,
} from './selection-admin.js';
export {
  createServerApi,
  runtimeSettings,
  ServerAdmin,
  type RuntimeSettingsPatch,
  type ServerAdminDeps,
} from './server-admin.js';
