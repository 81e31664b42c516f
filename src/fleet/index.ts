export {
  ComputerService,
  noNewComputerLimit,
  type ComputerInventory,
  type NewComputerLimit,
} from './computer-service.js';
export {
  ClientEventIngest,
  defaultRawEventBudget,
  type EventIngestOutcome,
  type RawEventBudget,
} from './client-event-ingest.js';
export { maxStoredEventString, maxStoredEventStrings, storedEventText } from './stored-event.js';
export { deriveUpdateStatuses, type DerivedStatus, type StatusEvent } from './derive-update-status.js';
export type * from './fleet-ports.js';
export {
  applyClientTargeting,
  readTargetingMode,
  targetingModeSetting,
  type ClientTargetingResult,
  type ClientTargetingStores,
  type TargetingMode,
} from './client-targeting.js';
export { unknownNameError } from './unknown-name.js';
// The administration services (the CLI and the REST API call the same ones; src/admin bundles them).
export { GroupsService, type GroupView } from './groups-service.js';
export { ReplicaGuard, replicaUpstreamName } from './replica-guard.js';
export {
  UpdatesService,
  type UpdateFilter,
  type UpdateSelection,
  type UpdateSummary,
  type UpdateDetail,
  type UpdateContent,
} from './updates-service.js';
export {
  ApprovalsService,
  type ApprovalChange,
  type ApprovalPlan,
  type DeclineChange,
} from './approvals-service.js';
export {
  ApprovalRulesService,
  type RuleInput,
  type RuleRollout,
  type RuleRunResult,
  type RuleSwitches,
} from './approval-rules-service.js';
export {
  ComputersAdminService,
  type ComputerView,
  type EffectiveApprovalView,
} from './computers-admin-service.js';
export { AuditService, type AuditFilter, type AuditEntryView } from './audit-service.js';
export { type AdminActor, actorText } from './admin-actor.js';
export { type Page, type PageRequest, defaultPageLimit, maxPageLimit } from './admin-paging.js';
export { parseIsoTime, requireGuid, requireKb, requireName } from './admin-input.js';
export type { AdminStore, AdminStores } from './admin-store.js';
export {
  SupersededDeclineService,
  supersededRuleActor,
  type KeepReason,
  type SupersededCandidate,
  type SupersededDeclinePlan,
} from './superseded-decline.js';
export {
  RingsService,
  defaultRingGate,
  requireRingName,
  type RingFields,
  type RingView,
} from './rings-service.js';
export {
  RolloutsService,
  type PlannedStage,
  type RolloutEvent,
  type RolloutEventSink,
  type RolloutStartResult,
  type RolloutStatus,
  type TickResult,
} from './rollouts-service.js';
