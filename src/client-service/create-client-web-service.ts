import {
  ClientEventIngest,
  ComputerService,
  defaultRawEventBudget,
  noNewComputerLimit,
  type FleetStores,
  type NewComputerLimit,
  type RawEventBudget,
} from '../fleet/index.js';
import type { CatalogRingSource, ContentMode } from '../domain/index.js';
import type { Logger } from '../observability/index.js';
import { createRepositories, type ContentStore, type DbHandle } from '../storage/index.js';
import { CatalogCache, defaultCatalogCacheOptions, type CatalogCacheOptions } from './catalog-cache.js';
import { ClientCookies } from './client-cookies.js';
import { defaultClientConfig, loadConfigGeneration, type ClientConfig } from './client-config.js';
import { ClientWebService } from './client-web-service.js';
import { CookieKeyService, defaultCookieKeyPolicy, type CookieKeyPolicy } from './cookie-keys.js';
import { FileLocator } from './file-locator.js';
import { FragmentCache } from './fragment-cache.js';
import {
  storageCatalogSource,
  storageDeploymentSource,
  storageDriverSource,
  storageFileSource,
  storageFragmentSource,
  storageLocalizedSource,
} from './storage-adapters.js';

export interface ClientServiceOptions {
  readonly contentMode: ContentMode;
  /** `[content] express` (default false): which files an approved update waits for. */
  readonly express?: boolean;
  readonly clientConfig?: Partial<ClientConfig>;
  readonly catalogCache?: Partial<CatalogCacheOptions>;
  readonly cookieKeys?: Partial<CookieKeyPolicy>;
  /** Byte budget of the Core/Extended fragment LRU (default 64 MiB). */
  readonly fragmentCacheBytes?: number;
  readonly pageSize?: number;
  readonly clock?: () => number;
  /** Raw event text one computer may store per period (default 8 MiB a day). */
  readonly rawEventBudget?: RawEventBudget;
  /** The rollout rings (docs/rings.md); none: every computer is served the active generation. */
  readonly rings?: CatalogRingSource;
  /** New computers per source address per period (default: no bound, as WSUS). */
  readonly newComputerLimit?: NewComputerLimit;
  /** Told when a client scan completes (metrics). */
  readonly onScanCompleted?: () => void;
}

/**
 * Wires the client web service over one database handle and content store (composition helper for
 * main.ts and the integration tests): server instance id and configuration generation from settings,
 * the cookie key ring from cookie_keys (created on first use, rotated), fleet services, catalog cache.
 */
export async function createClientWebService(
  handle: DbHandle,
  store: ContentStore,
  logger: Logger,
  options: ClientServiceOptions,
): Promise<{ service: ClientWebService; keys: CookieKeyService; serverInstanceId: string }> {
  const repos = createRepositories(handle);
  const clock = options.clock ?? Date.now;
  const config: ClientConfig = { ...defaultClientConfig, ...options.clientConfig };
  const serverInstanceId = await repos.settings.getOrCreateInstanceId();
  const configGeneration = await loadConfigGeneration(repos.settings, config, clock());
  const keys = new CookieKeyService(
    repos.cookieKeys,
    { ...defaultCookieKeyPolicy, ...options.cookieKeys },
    clock,
  );
  await keys.ring();
  const stores = (r: ReturnType<typeof createRepositories>): FleetStores => ({
    computers: r.computers,
    groups: r.groups,
    clientEvents: r.clientEvents,
    updateStatus: r.updateStatus,
    revisions: r.revisions,
  });
  const log = logger.child({ component: 'client-service' });
  const service = new ClientWebService({
    logger: log,
    config,
    configGeneration,
    cookies: new ClientCookies(keys, serverInstanceId),
    computers: new ComputerService(
      { ...stores(repos), settings: repos.settings },
      options.newComputerLimit ?? noNewComputerLimit,
    ),
    eventIngest: new ClientEventIngest(
      (fn) =>
        handle.transaction((trx) => fn(stores(createRepositories({ db: trx, dialect: handle.dialect })))),
      log,
      options.rawEventBudget ?? defaultRawEventBudget,
    ),
    catalog: new CatalogCache(
      storageCatalogSource(handle, options.rings),
      storageDeploymentSource(handle, options.express ?? false),
      log,
      {
        ...defaultCatalogCacheOptions,
        requireStoredContent: options.contentMode !== 'none',
        ...options.catalogCache,
      },
      clock,
    ),
    rolloutScans: { record: (...a) => repos.catalogRollouts.recordScan(...a) },
    fragments: new FragmentCache(storageFragmentSource(handle), options.fragmentCacheBytes),
    localized: storageLocalizedSource(handle),
    files: new FileLocator(storageFileSource(handle, store), options.contentMode),
    drivers: storageDriverSource(handle),
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.onScanCompleted !== undefined ? { onScanCompleted: options.onScanCompleted } : {}),
  });
  return { service, keys, serverInstanceId };
}
