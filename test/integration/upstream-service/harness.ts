/**
 * Patchbay in the upstream role for the tests: a database (SQLite file or the throwaway PostgreSQL cluster)
 * whose catalog the real sync engine imported from the catalog-mode fake upstream (the REAL documents of
 * wsus-m0-wsusss/docs plus the marked SYNTHETIC closure), served by the real client server (the same one
 * `patchbay serve` builds) with the upstream service mounted, on loopback.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createClientWebService } from '../../../src/client-service/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { buildClientServer } from '../../../src/http/index.js';
import { FsContentStore, openDatabase, type DbHandle } from '../../../src/storage/index.js';
import { listQuarantine, runSync } from '../../../src/sync/index.js';
import { createUpstreamService, type UpstreamServiceOptions } from '../../../src/upstream-service/index.js';
import { startCatalogUpstream, type CatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog } from '../../helpers/fake-upstream/real-catalog.js';
import { postSoap, silentLogger, type HttpResult } from '../client-service/harness.js';
import { databaseTarget, testTransport, type DbKind } from '../sync/harness.js';

export interface UpstreamPatchbay {
  readonly db: DbHandle;
  /** The fake upstream Patchbay synchronized from (the top of the hierarchy). */
  readonly top: CatalogUpstream;
  readonly baseUrl: string;
  readonly serverSyncUrl: string;
  /** Patchbay A's content store (what its /Content/ serves). */
  readonly store: FsContentStore;
  /** Synchronizes Patchbay from `top` again. */
  readonly syncFromTop: () => Promise<void>;
  readonly post: (path: string, body: string, soapAction?: string) => Promise<HttpResult>;
  /** PATCHBAY_DATABASE_* naming A's database, for the CLI. */
  readonly databaseEnv: Record<string, string>;
}

export async function startUpstreamPatchbay(
  t: TestContext,
  kind: DbKind,
  options: Partial<UpstreamServiceOptions> = {},
): Promise<UpstreamPatchbay> {
  const target = await databaseTarget(t, kind);
  const db = openDatabase(target.driver === 'sqlite' ? target : { ...target, poolSize: 4 });
  t.after(() => db.close());
  const databaseEnv: Record<string, string> =
    target.driver === 'sqlite'
      ? { PATCHBAY_DATABASE_DRIVER: 'sqlite', PATCHBAY_DATABASE_PATH: target.path }
      : { PATCHBAY_DATABASE_DRIVER: 'postgres', PATCHBAY_DATABASE_URL: target.connectionString };
  const top = await startCatalogUpstream({ entries: buildRealCatalog().entries, maxUpdatesPerRequest: 25 });
  t.after(() => top.close());
  const transport = testTransport(t);
  const syncFromTop = async () => {
    const r = await runSync({ db, transport }, { upstreamUrl: top.serverSyncUrl, nodeId: 'a' });
    assert.ok(r.outcome === 'succeeded' || r.outcome === 'partial', JSON.stringify(await listQuarantine(db)));
  };
  await syncFromTop();
  const { baseUrl, store } = await serveUpstream(t, db, options);
  return {
    db,
    top,
    baseUrl,
    store,
    serverSyncUrl: `${baseUrl}/ServerSyncWebService/ServerSyncWebService.asmx`,
    syncFromTop,
    databaseEnv,
    post: (path, body, soapAction) =>
      postSoap(`${baseUrl}${path}`, body, soapAction === undefined ? {} : { soapaction: `"${soapAction}"` }),
  };
}

/** The client server over `db` with the upstream role mounted. */
export async function serveUpstream(
  t: TestContext,
  db: DbHandle,
  options: Partial<UpstreamServiceOptions> = {},
  /** HTTPS instead of HTTP (and a downstream client CA, `[upstream_service] client_ca_file`). */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer },
): Promise<{ baseUrl: string; store: FsContentStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'pb-uss-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = await loadConfigOrThrow({ env: { PATCHBAY_SERVER_DATA_DIR: dir } });
  const store = await FsContentStore.open(config.content.dir);
  const { service, keys, serverInstanceId } = await createClientWebService(db, store, silentLogger, {
    contentMode: 'approved',
    catalogCache: { freshnessMs: 0 },
  });
  const upstreamService = createUpstreamService(db, {
    keys,
    serverInstanceId,
    logger: silentLogger,
    options,
  });
  const app = await buildClientServer(
    {
      config,
      logger: silentLogger,
      readiness: [],
      clientService: service,
      contentStore: store,
      upstreamService,
      maxEventLoopLagMs: 1000,
    },
    tls ? { tls } : {},
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const addr = app.server.address();
  return {
    baseUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`,
    store,
  };
}
