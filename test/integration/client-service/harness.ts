/**
 * A real Patchbay client server for the client-service tests: a fresh database (a SQLite file, or a copy of
 * a migrated template on a throwaway PostgreSQL cluster), a content store in a temp dir, the client web
 * service and the fastify client server listening on loopback port 0. Each test owns one and closes it with
 * `t.after`. `post()` sends raw SOAP over real HTTP (undici), so framing and headers are what a client sees.
 */
import { after, type TestContext } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { createClientWebService, type ClientServiceOptions } from '../../../src/client-service/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { buildClientServer } from '../../../src/http/index.js';
import { createLogger } from '../../../src/observability/index.js';
import {
  FsContentStore,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DbHandle,
  type Repositories,
} from '../../../src/storage/index.js';
import type { ClientWebService } from '../../../src/client-service/index.js';
import { postgresSkipReason, startPostgresCluster, type PostgresCluster } from '../../helpers/postgres.js';

export type Dialect = 'sqlite' | 'postgres';

export const silentLogger = createLogger({
  level: 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

/** Why the PostgreSQL half is skipped here (undefined = it runs). CI has PostgreSQL; locally it may not. */
export const postgresSkip = postgresSkipReason();

let pg: Promise<{ cluster: PostgresCluster; template: string }> | undefined;
function postgres(): Promise<{ cluster: PostgresCluster; template: string }> {
  pg ??= (async () => {
    const cluster = await startPostgresCluster();
    const template = 'pb_cs_template';
    const h = openDatabase({
      driver: 'postgres',
      connectionString: await cluster.createDatabase({ name: template }),
    });
    try {
      await migrateToLatest(h);
    } finally {
      await h.close();
    }
    return { cluster, template };
  })();
  return pg;
}
// Registered at module level (a hook added inside a test would run when that test ends).
after(async () => {
  if (pg !== undefined) (await pg).cluster.stop();
});

export interface Harness {
  readonly handle: DbHandle;
  readonly repos: Repositories;
  readonly store: FsContentStore;
  readonly service: ClientWebService;
  readonly baseUrl: string;
  readonly port: number;
  readonly dir: string;
  post(path: string, body: string, headers?: Record<string, string>): Promise<HttpResult>;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface HarnessOptions extends Partial<ClientServiceOptions> {
  /** Seeds the database before the service starts (catalog, groups, approvals). */
  readonly seed?: (h: { handle: DbHandle; repos: Repositories; store: FsContentStore }) => Promise<void>;
  readonly env?: Record<string, string>;
  /** Event-loop lag beyond which requests are refused busy (default: the server's). */
  readonly maxEventLoopLagMs?: number;
}

export async function openTestDatabase(t: TestContext, dialect: Dialect, dir: string): Promise<DbHandle> {
  if (dialect === 'sqlite') {
    const handle = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
    t.after(() => handle.close());
    await migrateToLatest(handle);
    return handle;
  }
  const { cluster, template } = await postgres();
  const handle = openDatabase({
    driver: 'postgres',
    connectionString: await cluster.createDatabase({ template }),
    poolSize: 4,
  });
  t.after(() => handle.close());
  return handle;
}

export async function startHarness(
  t: TestContext,
  dialect: Dialect,
  opts: HarnessOptions = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-cs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const handle = await openTestDatabase(t, dialect, dir);
  const repos = createRepositories(handle);
  const store = await FsContentStore.open(join(dir, 'content'));
  if (opts.seed) await opts.seed({ handle, repos, store });
  const { service } = await createClientWebService(handle, store, silentLogger, {
    contentMode: 'approved',
    catalogCache: { freshnessMs: 0 },
    ...opts,
  });
  const config = await loadConfigOrThrow({ env: { PATCHBAY_SERVER_DATA_DIR: dir, ...(opts.env ?? {}) } });
  const app = await buildClientServer({
    config,
    logger: silentLogger,
    readiness: [],
    clientService: service,
    contentStore: store,
    // Tests seed big catalogs synchronously (SQLite) next to a live server; a lag limit of 1 s keeps that
    // from shedding their next call on a loaded CI box. overload.test.ts checks the shedding itself.
    maxEventLoopLagMs: opts.maxEventLoopLagMs ?? 1000,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    handle,
    repos,
    store,
    service,
    baseUrl,
    port,
    dir,
    post: (path, body, headers = {}) => postSoap(`${baseUrl}${path}`, body, headers),
  };
}

export async function postSoap(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await request(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/xml; charset=utf-8', ...headers },
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** Both databases, PostgreSQL skipped (loudly) when its binaries are missing. */
export const dialects: readonly { dialect: Dialect; skip: string | undefined }[] = [
  { dialect: 'sqlite', skip: undefined },
  { dialect: 'postgres', skip: postgresSkip },
];

/**
 * Stores a minimal revision for each update id, so events about them become states (only updates in the
 * catalog get a per-update state; docs/clients.md).
 */
export async function addCatalogUpdates(h: Harness, updateIds: readonly string[]): Promise<void> {
  await h.repos.revisions.upsertMany(
    updateIds.map((updateId) => ({
      updateId,
      revisionNumber: 1,
      updateType: 'Software',
      document: `<Update id="${updateId}"/>`,
      coreFragment: `<UpdateIdentity UpdateID="${updateId}" RevisionNumber="1" />`,
      extendedFragment: '<ExtendedProperties />',
    })),
  );
}
