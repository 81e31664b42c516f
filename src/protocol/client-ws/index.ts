export { clientNs, simpleAuthNs } from './namespaces.js';
export { defaultClientWsLimits, clientWsLimitsFor, type ClientWsLimits } from './limits.js';
export * as elementOrder from './element-order.js';
export { formatDate, formatDateTime, type WireTime } from './wire-time.js';
export {
  decodeSessionCookieElement,
  decodeRequestCookie,
  encodeSessionCookie,
  type SessionCookie,
  type SessionCookieOut,
} from './session-cookie.js';
export {
  deploymentActions,
  encodeDeployment,
  encodeUpdateInfo,
  escapeCoreXml,
  type Deployment,
  type DeploymentAction,
  type EscapedCoreXml,
  type UpdateInfo,
} from './update-info.js';
export { encodeFileLocation, encodeFileLocations, type FileLocation } from './file-location.js';
export {
  decodeGetConfigRequest,
  encodeGetConfigResponse,
  serverProtocolVersion,
  simpleTargetingPlugIn,
  type AuthPlugIn,
  type GetConfigRequest,
  type GetConfigResult,
} from './get-config.js';
export {
  decodeGetAuthorizationCookieRequest,
  encodeGetAuthorizationCookieResponse,
  type AuthorizationCookieOut,
  type GetAuthorizationCookieRequest,
} from './get-authorization-cookie.js';
export {
  decodeGetCookieRequest,
  encodeGetCookieResponse,
  type AuthorizationCookie,
  type GetCookieRequest,
} from './get-cookie.js';
export {
  decodeRegisterComputerRequest,
  encodeRegisterComputerResponse,
  type ComputerInfo,
  type RegisterComputerRequest,
} from './register-computer.js';
export {
  decodeStartCategoryScanRequest,
  encodeStartCategoryScanResponse,
  type CategoryTerm,
  type StartCategoryScanRequest,
  type StartCategoryScanResult,
} from './start-category-scan.js';
export { encodeSyncInfo, type SyncUpdatesResult } from './sync-info.js';
export { parseClientRequestXml, streamedRevisionIds } from './sync-updates-stream.js';
export {
  decodeSyncUpdatesRequest,
  encodeSyncUpdatesResponse,
  type SyncProductsParameters,
  type SyncUpdatesRequest,
} from './sync-updates.js';
export {
  decodeSystemSpec,
  maxIdsPerDevice,
  maxIdsPerSystemSpec,
  type InstalledDriver,
  type SystemSpecDevice,
} from './system-spec.js';
export {
  decodeSyncPrinterCatalogRequest,
  encodeSyncPrinterCatalogResponse,
  type SyncPrinterCatalogRequest,
} from './sync-printer-catalog.js';
export {
  decodeRefreshCacheRequest,
  encodeRefreshCacheResponse,
  type RefreshCacheItem,
  type RefreshCacheRequest,
} from './refresh-cache.js';
export {
  decodeGetExtendedUpdateInfoRequest,
  encodeGetExtendedUpdateInfoResponse,
  type FragmentData,
  type FragmentType,
  type GetExtendedUpdateInfoRequest,
  type GetExtendedUpdateInfoResult,
} from './get-extended-update-info.js';
export {
  decodeGetFileLocationsRequest,
  encodeGetFileLocationsResponse,
  type GetFileLocationsRequest,
  type GetFileLocationsResult,
} from './get-file-locations.js';
export { decodeUpdateIdentityElement, encodeUpdateIdentityElement } from './update-identity.js';
// Shared decoding helpers, also used by the reporting codec (same wire conventions).
export { complexArrayItems, expectOperation, trimmedStringParser } from './wire.js';
