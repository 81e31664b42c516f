// The MS-WUSP client web service: handshake, cookies, SyncUpdates over the catalog, extended info, files,
// reporting. Transport-free; src/http/client-ws-routes.ts mounts it on the SOAP endpoints.
export { ClientWebService, type ClientCall, type ClientWebServiceDeps } from './client-web-service.js';
export {
  ClientCookies,
  packSyncPosition,
  unpackSyncPosition,
  sessionLifetimeMs,
  authLifetimeMs,
  type SessionClaims,
  type AuthClaims,
  type SyncPosition,
} from './client-cookies.js';
export {
  CookieKeyService,
  defaultCookieKeyPolicy,
  type CookieKeyPolicy,
  type CookieKeyStore,
  type StoredCookieKey,
} from './cookie-keys.js';
export {
  defaultClientConfig,
  loadConfigGeneration,
  type ClientConfig,
  type SettingsStore,
} from './client-config.js';
export {
  CatalogCache,
  defaultCatalogCacheOptions,
  type CatalogCacheOptions,
  type CatalogSource,
  type DeploymentSource,
  type LoadedGeneration,
} from './catalog-cache.js';
export { FragmentCache, type FragmentSource } from './fragment-cache.js';
export { FileLocator, contentUrl, type FileSource } from './file-locator.js';
export { localeCandidates, pickLocalized, type LocalizedSource } from './localized.js';
export { ByteLru } from './lru-cache.js';
export {
  storageCatalogSource,
  storageDeploymentSource,
  storageFileSource,
  storageFragmentSource,
  storageLocalizedSource,
} from './storage-adapters.js';
export { createClientWebService, type ClientServiceOptions } from './create-client-web-service.js';
