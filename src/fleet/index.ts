export {
  ComputerService,
  noNewComputerLimit,
  type ComputerInventory,
  type NewComputerLimit,
} from './computer-service.js';
export {
  ReportService,
  defaultRawEventBudget,
  type RawEventBudget,
  type ReportOutcome,
} from './report-service.js';
export { maxStoredEventString, maxStoredEventStrings, storedEventText } from './stored-event.js';
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
export { unknownNameError } from './unknown-name.js';
