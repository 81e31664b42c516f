// Scheduling: the job registry and scheduler (croner calendar + jitter), single-runner leases, stale-sync check.
export {
  acquireLease,
  describeHolder,
  processHolder,
  withJobLease,
  type JobLeaseOptions,
  type LeaseStore,
} from './job-lease.js';
export { createPacer, defaultSliceMs, type Pacer } from './pacer.js';
export { dailySlots, nextRun, type JobTrigger, type PlannedRun, type TimeOfDay } from './schedule.js';
export { JobRegistry, type JobContext, type JobDefinition } from './job-registry.js';
export {
  Scheduler,
  systemSchedulerClock,
  type JobStatus,
  type SchedulerClock,
  type SchedulerDeps,
} from './scheduler.js';
export {
  checkStaleSync,
  logStale,
  staleSyncJob,
  type StaleSyncReport,
  type StaleSyncSource,
} from './stale-sync.js';
export { memorySlotLedger, settingsSlotLedger, type SlotLedger } from './slot-ledger.js';
export {
  eventRetentionJob,
  pruneRawEvents,
  retentionBatchSize,
  type RawEventStore,
} from './event-retention.js';
export { rolloutPromotionEveryMs, rolloutPromotionJob, type RolloutPromoter } from './rollout-promotion.js';
export {
  defaultJobRetentionMs,
  jobView,
  JobRunner,
  type JobProgress,
  type JobRunContext,
  type JobRunnerOptions,
  type JobStore,
  type JobView,
} from './job-runner.js';
