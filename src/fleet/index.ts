export { ComputerService, type ComputerInventory } from './computer-service.js';
export { ReportService, type ReportOutcome } from './report-service.js';
export { deriveUpdateStatuses, type DerivedStatus, type StatusEvent } from './derive-update-status.js';
export { updateState, updateStateNames, type UpdateState } from './update-states.js';
export type * from './fleet-ports.js';
export {
  applyClientTargeting,
  readTargetingMode,
  targetingModeSetting,
  type ClientTargetingResult,
  type ClientTargetingStores,
  type TargetingMode,
} from './client-targeting.js';
