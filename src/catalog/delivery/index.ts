export {
  type DeliveryRequest,
  type DeliveryResult,
  type DeliveredRevision,
  type DeliveredDeployment,
  defaultPageSize,
  maxPageSize,
} from './delivery-types.js';
export { syncUpdates, describeDelivery } from './sync-updates.js';
export {
  driverPass,
  type DriverCandidate,
  type DriverPassDevice,
  type DriverPassRequest,
  type DriverPassResult,
  type PrerequisitesOf,
  type RankedDriver,
} from './driver-pass.js';
