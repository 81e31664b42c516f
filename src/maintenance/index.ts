// Server maintenance: `patchbay cleanup` (CLI, REST, the scheduled job of `serve`) and its estimate.
export {
  CleanupService,
  cleanupGraceMs,
  cleanupLeaseName,
  expiredRuleActor,
  requireCleanupSettings,
  type CleanupRunOptions,
  type CleanupServiceDeps,
} from './cleanup-service.js';
export {
  cleanupSteps,
  parseCleanupSteps,
  type CleanupItem,
  type CleanupReport,
  type CleanupSettings,
  type CleanupStep,
  type CleanupStepReport,
  type StorageTotals,
} from './cleanup-types.js';
export { cleanupJob, finishInterruptedCleanup } from './cleanup-job.js';
export { createCleanupService, cleanupSettingsFrom } from './create-cleanup-service.js';
