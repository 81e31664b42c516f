export {
  type DeliveryRequest,
  type DeliveryResult,
  type DeliveredRevision,
  type DeliveredDeployment,
  defaultPageSize,
  maxPageSize,
} from './delivery-types.js';
export { syncUpdates, describeDelivery } from './sync-updates.js';
