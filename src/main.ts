/**
 * The composition root: the only place adapters are constructed and wired.
 * config -> logger -> directories -> database (+ migrations) -> content store -> client web service ->
 * HTTP servers (client HTTP/HTTPS, admin). Later: the scheduler; each gets its dependencies here only.
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { createClientWebService } from './client-service/index.js';
import type { Config } from './config/index.js';
import { createAdminServices } from './admin/index.js';
import { AppError } from './errors.js';
import { buildAdminServer, buildClientServer, type ReadinessCheck } from './http/index.js';
import type { Logger } from './observability/index.js';
import {
  FsContentStore,
  migrateToLatest,
  openDatabase,
  type DbHandle,
  type OpenDatabaseOptions,
} from './storage/index.js';

export interface RunningPatchbay {
  /** Where each server listens, e.g. `{ http: 'http://0.0.0.0:8530', admin: 'http://127.0.0.1:8532' }`. */
  readonly addresses: Readonly<Record<string, string>>;
  /** Graceful stop: servers stop accepting, in-flight requests finish, then the database closes. */
  close(): Promise<void>;
}

/** How to open the configured database (the password is joined to the URL only here, never logged). */
export function databaseOptions(config: Config): OpenDatabaseOptions {
  const d = config.database;
  if (d.driver === 'sqlite') return { driver: 'sqlite', path: d.path };
  const url = new URL(d.url);
  if (d.password !== '') url.password = encodeURIComponent(d.password);
  return { driver: 'postgres', connectionString: url.toString(), poolSize: d.poolSize };
}

/** Opens the database and brings its schema up to date. */
export async function openMigratedDatabase(config: Config, logger: Logger): Promise<DbHandle> {
  const handle = openDatabase(databaseOptions(config));
  try {
    const report = await migrateToLatest(handle);
    const where = config.database.driver === 'sqlite' ? config.database.path : 'postgres';
    if (report.applied.length > 0)
      logger.info({ applied: report.applied, database: where }, 'database migrated');
    else logger.info({ database: where }, 'database schema up to date');
    return handle;
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}

async function ensureDirectory(path: string, key: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o750 });
  } catch (e) {
    throw new AppError('PB_ERR_FILESYSTEM', `cannot create ${key} ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

async function readTls(config: Config): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  const { tlsCertFile, tlsKeyFile } = config.server;
  if (tlsCertFile === '' || tlsKeyFile === '') return undefined;
  try {
    return { cert: await readFile(tlsCertFile), key: await readFile(tlsKeyFile) };
  } catch (e) {
    throw new AppError(
      'PB_ERR_CONFIG_INVALID',
      `server.tls_cert_file / tls_key_file: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

async function listen(app: FastifyInstance, name: string, host: string, port: number): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'the port is in use'
        : code === 'EACCES'
          ? 'permission denied'
          : (e as Error).message;
    throw new AppError('PB_ERR_LISTEN', `cannot listen on ${host}:${port} (${name}): ${why}`, { cause: e });
  }
  const addr = app.server.address();
  const actualPort = addr !== null && typeof addr === 'object' ? addr.port : port;
  const scheme = name === 'https' ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
}

/** Starts Patchbay with a loaded configuration. Anything started is stopped again if a later step fails. */
export async function startPatchbay(config: Config, logger: Logger): Promise<RunningPatchbay> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error({ err }, 'error during shutdown');
      }
    }
    closers.length = 0;
  };
  try {
    await ensureDirectory(config.server.dataDir, 'server.data_dir');
    await ensureDirectory(config.content.dir, 'content.dir');
    const tls = await readTls(config);

    const dbLogger = logger.child({ component: 'db' });
    const db = await openMigratedDatabase(config, dbLogger);
    closers.push(() => db.close());

    const readiness: ReadinessCheck[] = [
      {
        name: 'database',
        check: async () => {
          await sql`select 1`.execute(db.db);
        },
      },
    ];

    const contentStore = await FsContentStore.open(config.content.dir);
    const { service: clientService } = await createClientWebService(db, contentStore, logger, {
      contentMode: config.content.mode,
    });
    const clientDeps = { config, logger, readiness, clientService, contentStore };

    const servers: { name: string; app: FastifyInstance; host: string; port: number }[] = [
      {
        name: 'http',
        app: await buildClientServer(clientDeps),
        host: config.server.bind,
        port: config.server.httpPort,
      },
    ];
    if (tls) {
      servers.push({
        name: 'https',
        app: await buildClientServer(clientDeps, { tls }),
        host: config.server.bind,
        port: config.server.httpsPort,
      });
    }
    servers.push({
      name: 'admin',
      app: await buildAdminServer({ config, logger, readiness, adminServices: createAdminServices(db) }),
      host: config.admin.bind,
      port: config.admin.port,
    });

    const addresses: Record<string, string> = {};
    for (const s of servers) {
      closers.push(() => s.app.close());
      addresses[s.name] = await listen(s.app, s.name, s.host, s.port);
      logger.info({ server: s.name, address: addresses[s.name] }, `${s.name} server listening`);
    }
    return Object.freeze({ addresses: Object.freeze(addresses), close: closeAll });
  } catch (e) {
    await closeAll();
    throw e;
  }
}
