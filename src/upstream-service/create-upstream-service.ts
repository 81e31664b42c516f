import type { CookieKeyService } from '../client-service/index.js';
import type { Logger } from '../observability/index.js';
import { createRepositories, type DbHandle } from '../storage/index.js';
import { getSelection, type SyncSelection } from '../sync/index.js';
import { DssCookies } from './dss-cookies.js';
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

/** Wires the upstream role over one database handle (composition helper for main.ts and the tests). */
export function createUpstreamService(db: DbHandle, w: UpstreamServiceWiring): UpstreamWebService {
  const repos = createRepositories(db);
  return new UpstreamWebService({
    stores: {
      catalog: repos.upstreamCatalog,
      deployments: repos.deploymentFeed,
      downstreams: repos.downstreamServers,
      enabledLanguages: async () => (await getSelection(db, w.selectionFallback)).languages,
      queueFiles: (sha1s, now) => repos.contentState.queueAbsent(sha1s, now),
    },
    cookies: new DssCookies(w.keys, w.serverInstanceId),
    logger: w.logger.child({ component: 'upstream-service' }),
    options: { ...defaultUpstreamServiceOptions, ...w.options },
    ...(w.onFilesQueued ? { onFilesQueued: w.onFilesQueued } : {}),
  });
}
