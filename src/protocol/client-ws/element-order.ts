/**
 * Element order tables: the WSDL sequence order of every complex type the client codecs write, with the
 * REAL (WS2025 capture) order where the captures show it. Encoders emit children through `ordered()` over
 * these tables, so the order lives in one place and the tests check the tables against the real responses.
 *
 * A Windows client reads these with an order-sensitive deserializer: a child out of sequence is dropped or
 * fails the whole message, which is why the order is data here and not scattered through string templates.
 */

/** GetConfigResult (REAL order; `AllowedEventIds` is a WSDL position that WS2025 never writes). */
export const configOrder = [
  'LastChange',
  'IsRegistrationRequired',
  'AuthInfo',
  'AllowedEventIds',
  'Properties',
] as const;
export const authPlugInInfoOrder = ['PlugInID', 'ServiceUrl', 'Parameter'] as const;
export const configurationPropertyOrder = ['Name', 'Value'] as const;
/** The five configuration properties in the REAL order. */
export const configPropertyNames = [
  'MaxExtendedUpdatesPerRequest',
  'PackageServerShare',
  'ProtocolVersion',
  'IsInventoryRequired',
  'ClientReportingLevel',
] as const;

/** `Cookie` (GetCookieResult, NewCookie, and the request's `cookie`). */
export const cookieOrder = ['Expiration', 'EncryptedData'] as const;
/** SimpleAuth GetAuthorizationCookieResult and GetCookie's `AuthorizationCookie` (note `PlugInId`, lower d). */
export const authorizationCookieOrder = ['PlugInId', 'CookieData'] as const;

/** RegisterComputer `computerInfo` (REAL order, all 26 fields as the native client sends them). */
export const computerInfoOrder = [
  'DnsName',
  'OSMajorVersion',
  'OSMinorVersion',
  'OSBuildNumber',
  'OSServicePackMajorNumber',
  'OSServicePackMinorNumber',
  'OSLocale',
  'ComputerManufacturer',
  'ComputerModel',
  'BiosVersion',
  'BiosName',
  'BiosReleaseDate',
  'ProcessorArchitecture',
  'SuiteMask',
  'OldProductType',
  'NewProductType',
  'SystemMetrics',
  'ClientVersionMajorNumber',
  'ClientVersionMinorNumber',
  'ClientVersionBuildNumber',
  'ClientVersionQfeNumber',
  'OSDescription',
  'OEM',
  'DeviceType',
  'FirmwareVersion',
  'MobileOperator',
] as const;

/** StartCategoryScanResponse: fields directly under the response element, no `…Result` wrapper. */
export const startCategoryScanResponseOrder = [
  'preferredCategoryIds',
  'requestedCategoryIdsInError',
] as const;

/** SyncInfo (SyncUpdatesResult, SyncPrinterCatalogResult). REAL: Truncated, NewCookie, DriverSyncNotNeeded always. */
export const syncInfoOrder = [
  'NewUpdates',
  'OutOfScopeRevisionIDs',
  'ChangedUpdates',
  'Truncated',
  'NewCookie',
  'DeployedOutOfScopeRevisionIds',
  'DriverSyncNotNeeded',
] as const;
/** UpdateInfo (WSDL; WS2025 never writes IsShared or Verification). */
export const updateInfoOrder = ['ID', 'Deployment', 'IsLeaf', 'IsShared', 'Xml', 'Verification'] as const;
/** Deployment, full WSDL sequence. WS2025 writes exactly ID, Action, IsAssigned, LastChangeTime, AutoSelect,
 * AutoDownload, SupersedenceBehavior on every UpdateInfo (REAL, 1,950+); Deadline only for deadline approvals. */
export const deploymentOrder = [
  'ID',
  'Action',
  'Deadline',
  'IsAssigned',
  'LastChangeTime',
  'DownloadPriority',
  'HardwareIds',
  'DriverMetadata',
  'AdditionalDriverMetadata',
  'AutoSelect',
  'AutoDownload',
  'SupersedenceBehavior',
  'FlagBitmask',
  'Priority',
  'HandlerSpecificAction',
  'TargetGroupId',
  'TargetingVersion',
  'FlightId',
  'ClientBehaviors',
  'CacheLifetimeMinutes',
  'FlightMetadata',
] as const;

/** RefreshCacheResult item (docs/protocol/client.md §1.4; UNVERIFIED on the wire — no capture holds a RefreshCache). */
export const refreshCacheResultOrder = [
  'RevisionID',
  'GlobalID',
  'IsLeaf',
  'IsShared',
  'Deployment',
] as const;
export const updateIdentityOrder = ['UpdateID', 'RevisionNumber'] as const;

/** GetExtendedUpdateInfoResult (ExtendedUpdateInfo). */
export const extendedUpdateInfoOrder = ['Updates', 'FileLocations', 'OutOfScopeRevisionIDs'] as const;
export const updateDataOrder = ['ID', 'Xml'] as const;
export const fileLocationOrder = ['FileDigest', 'Url'] as const;
/** GetFileLocationsResult. */
export const getFileLocationsResultOrder = ['FileLocations', 'NewCookie'] as const;

/**
 * Concatenates serialized children in the order of `order`; absent (undefined) parts are omitted, as WS2025
 * omits optional elements it does not use. A part whose name is not in `order` is a programming error.
 */
export function ordered<N extends string>(order: readonly N[], parts: Partial<Record<N, string>>): string[] {
  const out: string[] = [];
  for (const name of order) {
    const p = parts[name];
    if (p !== undefined) out.push(p);
  }
  return out;
}
