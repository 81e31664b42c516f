import { randomUUID } from 'node:crypto';
import type { CookieKeyService } from '../client-service/index.js';
import type { Logger } from '../observability/index.js';
import { createRepositories, type DbHandle } from '../storage/index.js';
import { getSelection, type SyncSelection } from '../sync/index.js';
import { DssCookies } from './dss-cookies.js';
import { RollupWebService } from './rollup-web-service.js';
import type { RollupStore } from './upstream-ports.js';
import {
  defaultUpstreamServiceOptions,
  UpstreamWebService,
  type UpstreamServiceOptions,
} from './upstream-web-service.js';

export interface UpstreamServiceWiring {
  /** The client service's key ring and instance id: one key ring seals every cookie this server mints. */
  readonly keys: CookieKeyService;
  readonly serverInstanceId: string;
  readonly logger: Logger;
  /** The `[selection]` config, used until the admin stores a selection (the language list's Enabled). */
  readonly selectionFallback?: SyncSelection;
  readonly options?: Partial<UpstreamServiceOptions>;
  readonly onFilesQueued?: () => void;
}

/** The settings key of this server's RollupResetGuid (docs/upstream.md "Reporting roll-up"). */
export const rollupResetGuidKey = 'rollup.resetGuid';

/** Wires the upstream role over one database handle (composition helper for main.ts and the tests). */
export function createUpstreamService(db: DbHandle, w: UpstreamServiceWiring): UpstreamWebService {
  const repos = createRepositories(db);
  const options = { ...defaultUpstreamServiceOptions, ...w.options };
  const logger = w.logger.child({ component: 'upstream-service' });
  const service = new UpstreamWebService({
    stores: {
      catalog: repos.upstreamCatalog,
      deployments: repos.deploymentFeed,
      downstreams: repos.downstreamServers,
      enabledLanguages: async () => (await getSelection(db, w.selectionFallback)).languages,
      queueFiles: (sha1s, now) => repos.contentState.queueAbsent(sha1s, now),
    },
    cookies: new DssCookies(w.keys, w.serverInstanceId),
    logger,
    options,
    ...(w.onFilesQueued ? { onFilesQueued: w.onFilesQueued } : {}),
  });
  service.rollup = new RollupWebService({
    store: createRollupStore(db),
    admission: service.admission,
    logger,
    options,
    serverId: w.serverInstanceId.toLowerCase(),
  });
  return service;
}

/** The roll-up port over the repositories; each write runs in one transaction. */
export function createRollupStore(db: DbHandle): RollupStore {
  const repos = createRepositories(db);
  const inTx = <T>(fn: (r: ReturnType<typeof createRepositories>) => Promise<T>) =>
    db.transaction((trx) => fn(createRepositories({ db: trx, dialect: db.dialect })));
  return {
    resetGuid: () => repos.settings.getOrCreate(rollupResetGuidKey, randomUUID()),
    downstream: async (id) => {
      const d = await repos.downstreamServers.get(id);
      return d && { address: d.address };
    },
    isDownstream: async (id) => (await repos.downstreamServers.get(id)) !== undefined,
    ownerOf: (id) => repos.rollup.ownerOf(id),
    subtree: (id) => repos.rollup.subtree(id),
    recordServers: (by, rows, max, now) => inTx((r) => r.rollup.recordServers(by, rows, max, now)),
    recordComputers: (by, rows, max, now) => inTx((r) => r.rollup.recordComputers(by, rows, max, now)),
    outOfSync: (by, numbers) => repos.rollup.outOfSync(by, numbers),
    recordStatus: (by, rows, now) => inTx((r) => r.rollup.recordStatus(by, rows, now)),
  };
}
