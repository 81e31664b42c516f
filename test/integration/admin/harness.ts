/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are untyped JSON; the tests assert their shape. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createAdminServices, type AdminServices, type Role } from '../../../src/admin/index.js';
import { runCli, type CliIo } from '../../../src/cli/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { buildAdminServer } from '../../../src/http/index.js';
import { createLogger } from '../../../src/observability/index.js';
import { createServerApi } from '../../../src/operations/index.js';
import { cleanupSettingsFrom, createCleanupService } from '../../../src/maintenance/index.js';
import { createRepositories, FsContentStore } from '../../../src/storage/index.js';
import { createCatalogRolloutService, storedCatalogRings } from '../../../src/sync/index.js';
import { openTestDatabase, seedCatalog, type Driver, type TestDatabase } from '../../helpers/admin-db.js';

export const silentLogger = createLogger({
  level: 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

export interface ApiHarness {
  readonly db: TestDatabase;
  readonly services: AdminServices;
  readonly app: FastifyInstance;
  readonly revisionIds: Map<string, number>;
  /** One token per role, created like the CLI creates them. */
  readonly tokens: Record<Role, string>;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    options?: { token?: string | null; body?: unknown; role?: Role },
  ): Promise<LightMyRequestResponse & { json<T = any>(): T }>;
  /** Row counts of every table administration writes (assert "changed nothing"). */
  fingerprint(): Promise<Record<string, number>>;
}

export async function startApi(
  t: TestContext,
  driver: Driver,
  extra: { consoleDir?: string } = {},
): Promise<ApiHarness> {
  const db = await openTestDatabase(t, driver);
  const revisionIds = await seedCatalog(db.handle);
  const services = createAdminServices(db.handle);
  const config = await loadConfigOrThrow({ env: {} });
  const store = await FsContentStore.open(join(db.dir, 'content'));
  const app = await buildAdminServer({
    config,
    logger: silentLogger,
    readiness: [],
    adminServices: services,
    cleanup: createCleanupService(db.handle, store, cleanupSettingsFrom(config)),
    server: createServerApi({
      db: db.handle,
      config,
      store,
      services,
      version: '0.0.0-test',
      databaseLocation: 'test',
    }),
    catalogRollouts: createCatalogRolloutService(db.handle, {
      rings: storedCatalogRings(db.handle),
      logger: silentLogger,
    }),
    version: '0.0.0-test',
    ...extra,
  });
  t.after(() => app.close());
  const tokens = {} as Record<Role, string>;
  for (const role of ['admin', 'approver', 'reporter', 'connector'] as const)
    tokens[role] = (
      await services.tokens.create({ name: `${role}-token`, role }, { via: 'cli', name: 'test' })
    ).token;
  const repos = createRepositories(db.handle);
  return {
    db,
    services,
    app,
    revisionIds,
    tokens,
    call: async (method, url, options = {}) => {
      const token = options.token === undefined ? tokens[options.role ?? 'admin'] : options.token;
      return app.inject({
        method,
        url,
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
        ...(options.body !== undefined ? { payload: options.body as object } : {}),
      });
    },
    fingerprint: () => repos.adminQueries.fingerprint(),
  };
}

/** Runs a `patchbay` command in-process (the code path of bin.ts) on the test database. */
export async function adminCli(
  db: TestDatabase,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    env: { ...db.env, PATCHBAY_SERVER_DATA_DIR: db.dir, PATCHBAY_LOG_LEVEL: 'silent' },
    cwd: db.dir,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** A command with `--json` that must succeed; its parsed output. */
export async function adminJson(db: TestDatabase, ...args: string[]): Promise<any> {
  const r = await adminCli(db, ...args, '--json');
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
