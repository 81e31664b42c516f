/**
 * The composition root: the only place adapters are constructed and wired.
 * config -> logger -> directories -> database (+ migrations) -> content store -> client web service ->
 * HTTP servers (client HTTP/HTTPS, admin) -> scheduled jobs (sync + content, stale-sync warning, cleanup); each gets
 * its dependencies here only.
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { createClientWebService } from './client-service/index.js';
import { createUpstreamService } from './upstream-service/index.js';
import type { Config } from './config/index.js';
import { registerConnectorJobs, type ConnectorConfig } from './connectors/index.js';
import { createAdminServices, replicaOfConfig } from './admin/index.js';
import { createReportsService } from './reports/index.js';
import { AppError } from './errors.js';
import { announceContentChange, ContentAutoDownload, downloadAndAnnounce } from './content-sync/index.js';
import { buildAdminServer, buildClientServer, type ReadinessCheck } from './http/index.js';
import {
  checkStaleSync,
  JobRegistry,
  logStale,
  Scheduler,
  type SchedulerClock,
  settingsSlotLedger,
  staleSyncJob,
  eventRetentionJob,
  rolloutPromotionJob,
} from './jobs/index.js';
import { cleanupJob, cleanupSettingsFrom, createCleanupService } from './maintenance/index.js';
import { PatchbayMetrics, type Logger } from './observability/index.js';
import {
  catalogHoldNotification,
  notifierFromConfig,
  rolloutEventNotification,
  serverName,
  syncFailedNotification,
  type Notifier,
} from './notify/index.js';
import {
  conditionWatchJob,
  notifyStale,
  probeContentStore,
  createServerApi,
  storageScrapeSource,
  summaryJob,
  syncOutcomeNotifications,
} from './operations/index.js';
import { isAppError } from './errors.js';
import type { ContentDownloadResult } from './content-sync/index.js';
import {
  catalogRolloutJob,
  createCatalogRolloutService,
  rollupAfterSync,
  rollupEnabled,
  runSyncPipeline,
  storedCatalogRings,
  transportOptionsFromConfig,
  UpstreamTransport,
} from './sync/index.js';
import {
  createRepositories,
  migrateToLatest,
  openContentStore,
  openDatabase,
  type ContentStore,
  type DbHandle,
  type OpenDatabaseOptions,
} from './storage/index.js';

export interface RunningPatchbay {
  /** Where each server listens, e.g. `{ http: 'http://0.0.0.0:8530', admin: 'http://127.0.0.1:8532' }`. */
  readonly addresses: Readonly<Record<string, string>>;
  /** Graceful stop: servers stop accepting, in-flight requests finish, then the database closes. */
  close(): Promise<void>;
  /**
   * Re-reads the certificate and key named by `config` (a renewed certificate) into the running HTTPS server;
   * connections already open keep theirs. Throws, keeping the old certificate, when the new pair does not load.
   * Returns what was done, in words for the log.
   */
  reloadTls(config: Config): Promise<string>;
}

/** How to open the configured database (the password is joined to the URL only here, never logged). */
export function databaseOptions(config: Config): OpenDatabaseOptions {
  const d = config.database;
  if (d.driver === 'sqlite') return { driver: 'sqlite', path: d.path };
  const url = new URL(d.url);
  if (d.password !== '') url.password = encodeURIComponent(d.password);
  return { driver: 'postgres', connectionString: url.toString(), poolSize: d.poolSize };
}

/** Where the database is, for the status screen and messages: the SQLite path or the URL without password. */
export function describeDatabase(options: OpenDatabaseOptions): string {
  if (options.driver === 'sqlite') return `sqlite ${options.path}`;
  const u = new URL(options.connectionString);
  u.password = '';
  return `postgres ${u.toString()}`;
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

async function readTls(
  config: Config,
): Promise<{ cert: Buffer; key: Buffer; clientCa?: Buffer } | undefined> {
  const { tlsCertFile, tlsKeyFile } = config.server;
  if (tlsCertFile === '' || tlsKeyFile === '') return undefined;
  const caFile = config.upstream_service.clientCaFile;
  let clientCa: Buffer | undefined;
  try {
    if (caFile !== '') clientCa = await readFile(caFile);
  } catch (e) {
    throw new AppError('PB_ERR_CONFIG_INVALID', `upstream_service.client_ca_file: ${(e as Error).message}`, {
      cause: e,
    });
  }
  try {
    return {
      cert: await readFile(tlsCertFile),
      key: await readFile(tlsKeyFile),
      ...(clientCa ? { clientCa } : {}),
    };
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
  const actualPort = boundPort(app) ?? port;
  const scheme = name === 'https' ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
}

function boundPort(app: FastifyInstance): number | undefined {
  const addr = app.server.address();
  return addr !== null && typeof addr === 'object' ? addr.port : undefined;
}

/** SIGHUP's TLS part: only the certificate pair changes; turning HTTPS on or off needs a restart. */
async function reloadTlsInto(httpsApp: FastifyInstance | undefined, config: Config): Promise<string> {
  const tls = await readTls(config);
  if (httpsApp === undefined) {
    return tls === undefined
      ? 'HTTPS is not configured; nothing to reload'
      : 'HTTPS was not configured at start; restart to enable it';
  }
  if (tls === undefined) return 'tls_cert_file / tls_key_file are now unset; keeping the current certificate';
  try {
    // Builds the context first: a bad PEM or a key that does not match the certificate throws here.
    // The downstream client CA lives in the same context: a reload keeps (or re-reads) it.
    (httpsApp.server as unknown as TlsServer).setSecureContext({
      cert: tls.cert,
      key: tls.key,
      ...(tls.clientCa ? { ca: tls.clientCa } : {}),
    });
  } catch (e) {
    throw new AppError(
      'PB_ERR_CONFIG_INVALID',
      `server.tls_cert_file / tls_key_file: ${(e as Error).message}; keeping the current certificate`,
      { cause: e },
    );
  }
  return `certificate reloaded from ${config.server.tlsCertFile}`;
}

/** Starts Patchbay with a loaded configuration. Anything started is stopped again if a later step fails. */
/** Optional parts of `patchbay serve` configured outside patchbay.ini. */
export interface StartOptions {
  /** The asset-management connector (connector.ini): its instances run on their schedules. */
  connectorConfig?: ConnectorConfig;
  /** Package version, reported to connector targets. */
  version?: string;
  /** The scheduler's time (tests start a scheduled sync within seconds instead of at the next HH:MM). */
  schedulerClock?: SchedulerClock;
  /** How often ringed approvals' gates are evaluated (default a minute; tests go faster). */
  rolloutPromotionEveryMs?: number;
}

export async function startPatchbay(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningPatchbay> {
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
          await createRepositories(db).health.ping();
        },
      },
      {
        // A full or read-only disk, a lost mount: clients would be offered files this node cannot serve.
        name: 'content',
        check: () => probeContentStore(config.content.dir),
      },
    ];

    const metrics = config.metrics.enabled
      ? new PatchbayMetrics({ cacheMs: config.metrics.cacheSeconds * 1000 })
      : undefined;
    if (metrics !== undefined) {
      db.observeQueries((ms, failed) => {
        metrics.dbQueryDuration.observe(ms / 1000);
        if (failed) metrics.dbQueryErrors.inc();
      });
      metrics.setScrapeSource(storageScrapeSource(db, config.content.dir));
    }
    const notifier = await notifierFromConfig(config, logger, {
      ...(options.version !== undefined ? { version: options.version } : {}),
      ...(metrics !== undefined
        ? {
            onQueueLength: (channel, n) => metrics.notificationQueue.set({ channel }, n),
            onOutcome: (channel, outcome) => metrics.notificationsSent.inc({ channel, outcome }),
          }
        : {}),
    });
    closers.push(() => notifier.close());
    const ops: OpsHooks = { metrics, notifier, server: serverName(config) };

    const contentStore = await openContentStore(config, {
      // A stored file that changed on disk and no longer hashes right: failed with the reason, so the admin
      // sees it and the downloader fetches it again.
      onBadObject: (o) => {
        logger.warn({ sha1: o.sha1, reason: o.reason }, 'stored content failed re-verification; quarantined');
        const sha1 = Buffer.from(o.sha1, 'hex');
        void createRepositories(db)
          .files.setState(
            [sha1],
            'failed',
            `stored copy failed re-verification (${o.reason ?? 'unknown'}); quarantined`,
          )
          .then(() => announceContentChange(db, [sha1]))
          .catch((err: unknown) => logger.warn({ err, sha1: o.sha1 }, 'could not mark the file failed'));
      },
    });
    // Runs after the servers have closed (closers run in reverse): no reader is left on a cached descriptor.
    closers.push(() => contentStore.close());
    const clients = config.clients;
    const budgetPeriodMs = clients.budgetPeriodHours * 3_600_000;
    const {
      service: clientService,
      keys: cookieKeys,
      serverInstanceId,
    } = await createClientWebService(db, contentStore, logger, {
      contentMode: config.content.mode,
      rawEventBudget: { bytes: clients.rawEventBudget, periodMs: budgetPeriodMs },
      newComputerLimit: { perAddress: clients.newComputersPerAddress, periodMs: budgetPeriodMs },
      ...(metrics !== undefined ? { onScanCompleted: () => metrics.scans.inc() } : {}),
      // Each computer is served its ring's generation while a ringed catalog change is in progress.
      rings: storedCatalogRings(db),
    });
    // Approved updates are offered only once their files are stored: fetch them now, not at the next sync.
    const autoDownload = new ContentAutoDownload({
      db,
      mode: config.content.mode,
      logger: logger.child({ component: 'content-download' }),
      download: async (signal) => {
        const transport = new UpstreamTransport(transportOptionsFromConfig(config, { logger }));
        const started = Date.now();
        try {
          const r = await downloadAndAnnounce(
            { db, store: contentStore, transport, logger },
            {
              upstreamUrl: config.upstream.url,
              mode: config.content.mode,
              triggerSource: 'approval',
              signal,
            },
          );
          recordContentRun(ops, r, 'succeeded', started);
          return r;
        } catch (e) {
          recordContentRun(ops, undefined, 'failed', started);
          throw e;
        } finally {
          await transport.close();
        }
      },
    });

    // The upstream role (docs/upstream.md): downstream servers sync from the client ports, as from WSUS.
    // `[upstream_service] enabled = false` leaves the paths unmounted: 404, as on a server without the role.
    const uss = config.upstream_service;
    const upstreamService = uss.enabled
      ? createUpstreamService(db, {
          keys: cookieKeys,
          serverInstanceId,
          logger,
          selectionFallback: config.selection,
          options: {
            maxDownstreams: uss.maxDownstreams,
            allowedDownstreams: uss.allowedDownstreams,
            allowedAddresses: uss.allowedAddresses,
            requireClientCertificate: uss.clientCaFile !== '',
            rollupDetailed: uss.rollupDetailed,
            rollupMaxComputers: uss.rollupMaxComputersPerDownstream,
            rollupMaxServers: uss.rollupMaxServersPerDownstream,
          },
          onFilesQueued: () => autoDownload.kick(),
        })
      : undefined;
    const clientDeps = {
      config,
      logger,
      readiness,
      clientService,
      contentStore,
      upstreamService,
      ...(metrics !== undefined ? { metrics } : {}),
    };

    const adminServices = createAdminServices(db, {
      contentMode: config.content.mode,
      onApprovalsApplied: () => autoDownload.kick(),
      declineSupersededAfterDays: config.maintenance.declineSupersededAfterDays,
      // Stable event names (docs/rings.md "Events"): one log line per stage change of a ringed approval.
      // A rollout that pauses on its gate is also an alert through the notification channels.
      rolloutEvents: (event, fields) => {
        logger.info({ event, ...fields }, event);
        const n = rolloutEventNotification(ops.server, event, fields);
        if (n !== undefined) notifier.notify(n);
      },
      ...replicaOfConfig(config),
    });
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
    const cleanup = createCleanupService(db, contentStore, cleanupSettingsFrom(config));
    // Jobs the REST API starts (POST /api/v1/sync, content verify/download): state in the database, so any
    // node answers for a job another node runs. Stopped (recorded as failed) before the database closes.
    const serverApi = createServerApi({
      db,
      config,
      store: contentStore,
      services: adminServices,
      version: options.version ?? '0.0.0',
      databaseLocation: describeDatabase(databaseOptions(config)),
      logger,
      cleanupEstimate: () => cleanup.estimate(),
      onSyncFinished: (r, started) => recordSyncRun(ops, r, started),
    });
    closers.push(() => serverApi.jobs.close());
    // One ringed-catalog service for the promotion job and the REST API (the CLI builds the same).
    const catalogRollouts = createCatalogRolloutService(db, {
      rings: storedCatalogRings(db),
      logger: logger.child({ component: 'catalog-rollout' }),
      onHeld: (h) => notifier.notify(catalogHoldNotification(ops.server, h)),
    });
    servers.push({
      name: 'admin',
      app: await buildAdminServer({
        config,
        logger,
        readiness,
        adminServices,
        reports: createReportsService(createRepositories(db), { contentMode: config.content.mode }),
        ...(metrics !== undefined ? { metrics } : {}),
        cleanup,
        server: serverApi,
        catalogRollouts,
      }),
      host: config.admin.bind,
      port: config.admin.port,
    });

    const addresses: Record<string, string> = {};
    for (const s of servers) {
      closers.push(() => s.app.close());
      addresses[s.name] = await listen(s.app, s.name, s.host, s.port);
      // With port 0 the OS picks the port: the address logged is the one actually bound.
      logger.info(
        { server: s.name, address: addresses[s.name], port: boundPort(s.app) },
        `${s.name} server listening`,
      );
    }

    // Scheduled jobs. Other parts register theirs on `jobs` here (connector exports, cleanup) before start().
    const jobs = new JobRegistry();
    registerSyncJobs(jobs, { config, logger, db, contentStore, ops });
    if (notifier.enabled) {
      jobs.register(conditionWatchJob({ config, db, notifier, server: ops.server }));
      const summary = summaryJob({
        config,
        db,
        notifier,
        server: ops.server,
        version: options.version ?? '0.0.0',
        databaseLocation: config.database.driver === 'sqlite' ? config.database.path : 'postgres',
      });
      if (summary !== undefined) jobs.register(summary);
    }
    jobs.register(
      catalogRolloutJob({
        service: catalogRollouts,
        ...(options.schedulerClock ? { clock: () => options.schedulerClock!.now() } : {}),
      }),
    );
    if (clients.eventRetentionDays > 0)
      jobs.register(
        eventRetentionJob({
          store: createRepositories(db).clientEvents,
          retentionDays: clients.eventRetentionDays,
        }),
      );
    if (config.maintenance.cleanupsPerDay > 0)
      jobs.register(
        cleanupJob({
          service: cleanup,
          firstTime: config.maintenance.cleanupTime,
          perDay: config.maintenance.cleanupsPerDay,
        }),
      );
    const schedulerClock = options.schedulerClock;
    jobs.register(
      rolloutPromotionJob({
        promoter: adminServices.rollouts,
        now: schedulerClock ? () => schedulerClock.now() : () => Date.now(),
        ...(options.rolloutPromotionEveryMs !== undefined
          ? { everyMs: options.rolloutPromotionEveryMs }
          : {}),
      }),
    );
    if (options.connectorConfig)
      registerConnectorJobs(jobs, {
        config: options.connectorConfig,
        handle: db,
        logger,
        version: options.version ?? '0.0.0',
      });
    const scheduler = new Scheduler({
      registry: jobs,
      leases: createRepositories(db).jobLeases,
      slots: settingsSlotLedger(createRepositories(db).settings),
      logger,
      ...(options.schedulerClock ? { clock: options.schedulerClock } : {}),
    });
    scheduler.start();
    closers.push(() => scheduler.stop());
    autoDownload.start();
    closers.push(() => autoDownload.stop());
    const httpsApp = servers.find((s) => s.name === 'https')?.app;
    return Object.freeze({
      addresses: Object.freeze(addresses),
      close: closeAll,
      reloadTls: (next: Config) => reloadTlsInto(httpsApp, next),
    });
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/**
 * The built-in schedule: `[sync]` first_sync_time + syncs_per_day with jitter_minutes, each run the metadata
 * sync then the content download (once per cluster: job lease + slot ledger); and the stale-sync warning
 * every 15 minutes on every node (clients keep being served from the current catalog).
 */
function registerSyncJobs(
  jobs: JobRegistry,
  deps: { config: Config; logger: Logger; db: DbHandle; contentStore: ContentStore; ops: OpsHooks },
): void {
  const { config, logger, db, contentStore, ops } = deps;
  jobs.register({
    name: 'sync',
    description: 'synchronize with the upstream, then download content',
    trigger: {
      kind: 'daily',
      firstTime: config.sync.firstSyncTime,
      perDay: config.sync.syncsPerDay,
      jitterMs: config.sync.jitterMinutes * 60_000,
    },
    leaseTtlMs: 20 * 60_000,
    run: async ({ logger: log, signal, cause, nodeId }) => {
      const transport = new UpstreamTransport(transportOptionsFromConfig(config, { logger: log }));
      const started = Date.now();
      try {
        let r: Awaited<ReturnType<typeof runSyncPipeline>>;
        try {
          r = await runSyncPipeline(
            { db, store: contentStore, transport, logger: log },
            { config, triggerSource: cause, nodeId, signal },
          );
        } catch (e) {
          ops.metrics?.syncRunsFinished.inc({ kind: 'metadata', outcome: 'failed' });
          ops.metrics?.syncDuration.observe({ kind: 'metadata' }, (Date.now() - started) / 1000);
          // A lease held by another node or a stop is not a failure of the synchronization.
          const code = isAppError(e) ? e.code : 'PB_ERR_INTERNAL';
          if (!signal.aborted && code !== 'PB_ERR_SYNC_BUSY')
            ops.notifier.notify(syncFailedNotification(ops.server, code, (e as Error).message));
          throw e;
        }
        recordSyncRun(ops, r, started);
        void syncOutcomeNotifications(db, config, ops.server, r).then(
          (ns) => ns.forEach((n) => ops.notifier.notify(n)),
          (err: unknown) => log.warn({ err }, 'could not build the notifications of the synchronization'),
        );
        log.info(
          {
            syncRunId: r.sync.syncRunId,
            outcome: r.sync.outcome,
            generationId: r.sync.generationId,
            ruleApprovals: r.rules?.approvals.length ?? 0,
            files: r.content?.filesDownloaded ?? 0,
            bytes: r.content?.bytesDownloaded ?? 0,
          },
          'scheduled synchronization finished',
        );
      } finally {
        await transport.close();
      }
    },
  });
  // Reporting roll-up between syncs (each sync also rolls up): computers report all day, not at sync time.
  if (rollupEnabled(config) && config.upstream.rollupIntervalMinutes > 0)
    jobs.register({
      name: 'rollup',
      description: 'roll up computers and their update states to the upstream',
      trigger: { kind: 'interval', everyMs: config.upstream.rollupIntervalMinutes * 60_000 },
      leaseTtlMs: 20 * 60_000,
      run: async ({ logger: log }) => {
        const transport = new UpstreamTransport(transportOptionsFromConfig(config, { logger: log }));
        try {
          const r = await rollupAfterSync({ db, transport, logger: log }, config);
          if (r.rollupError) throw r.rollupError;
        } finally {
          await transport.close();
        }
      },
    });
  const staleAfterMs = config.sync.staleAfterHours * 3_600_000;
  const syncHistory = createRepositories(db);
  jobs.register(
    staleSyncJob({
      source: syncHistory,
      staleAfterMs,
      onReport: (r) => notifyStale(ops.notifier, ops.server, r),
    }),
  );
  // Say it at start too, when a catalog exists but is old (a node restarted after a long upstream outage)
  // or is pinned by a rollback.
  void checkStaleSync(syncHistory, { staleAfterMs }).then(
    (r) => {
      if ((r.stale && r.lastGoodAt !== undefined) || r.pin !== undefined) logStale(logger, r);
    },
    (err: unknown) => logger.warn({ err }, 'stale-sync check failed'),
  );
}

/** What the jobs report to: the metrics (when enabled) and the notifier (a no-op without channels). */
interface OpsHooks {
  readonly metrics: PatchbayMetrics | undefined;
  readonly notifier: Notifier;
  readonly server: string;
}

function recordSyncRun(ops: OpsHooks, r: Awaited<ReturnType<typeof runSyncPipeline>>, started: number): void {
  const m = ops.metrics;
  if (m === undefined) return;
  const metadataSeconds = (Date.now() - started - (r.content?.elapsedMs ?? 0)) / 1000;
  m.syncRunsFinished.inc({ kind: 'metadata', outcome: r.sync.outcome });
  m.syncDuration.observe({ kind: 'metadata' }, Math.max(0, metadataSeconds));
  m.revisionsImported.inc(r.sync.counters.revisionsImported ?? 0);
  m.revisionsQuarantined.inc(r.sync.counters.revisionsQuarantined ?? 0);
  if (r.content !== undefined) recordContentRun(ops, r.content, undefined, Date.now() - r.content.elapsedMs);
  else if (r.contentError !== undefined) recordContentRun(ops, undefined, 'failed', started);
}

function recordContentRun(
  ops: OpsHooks,
  r: ContentDownloadResult | undefined,
  outcome: 'succeeded' | 'failed' | undefined,
  started: number,
): void {
  const m = ops.metrics;
  if (m === undefined) return;
  const o = outcome === 'failed' || r === undefined ? 'failed' : r.filesFailed > 0 ? 'partial' : 'succeeded';
  m.syncRunsFinished.inc({ kind: 'content', outcome: o });
  m.syncDuration.observe({ kind: 'content' }, Math.max(0, (Date.now() - started) / 1000));
  if (r !== undefined) {
    m.contentDownloadedBytes.inc(r.bytesDownloaded);
    m.contentDownloadFailures.inc(r.filesFailed);
  }
}
