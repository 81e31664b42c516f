/**
 * The admin server (REST API and health) on its own port, loopback by default, so that the management
 * surface is never exposed where clients connect. It serves health and the REST API (src/http/admin-routes).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { AdminServices } from '../admin/index.js';
import type { Config } from '../config/index.js';
import type { Logger, PatchbayMetrics } from '../observability/index.js';
import type { ReportsService } from '../reports/index.js';
import type { CleanupService } from '../maintenance/index.js';
import type { AdminApiOptions } from './admin-routes/index.js';
import type { CatalogRolloutService } from '../sync/index.js';
import { OpenApiRecorder, registerAdminApi } from './admin-routes/index.js';
import { defaultConsoleDir, registerConsole, registerSecurityHeaders } from './console-static.js';
import { registerErrorHandler } from './error-handler.js';
import { registerHealthRoutes, type ReadinessCheck } from './health-routes.js';
import { registerMetricsRoute } from './metrics-route.js';
import { registerRequestLog, requestLogFastifyOptions } from './request-log.js';

export interface AdminServerDeps {
  config: Config;
  logger: Logger;
  readiness: readonly ReadinessCheck[];
  /** The REST API (/api/v1, /openapi.json) is served when the administration services are given. */
  adminServices?: AdminServices;
  /** The reports service; /api/v1/reports/... is served when given (with the admin services). */
  reports?: ReportsService;
  /** The server cleanup; `POST /api/v1/cleanup` is served when given (with the admin services). */
  cleanup?: CleanupService;
  /** Sync, catalog, content, selection, settings and jobs routes; served when given (with the admin services). */
  server?: AdminApiOptions['server'];
  /** The ringed catalog change; `/api/v1/catalog/rollout...` is served when given (with the admin services). */
  catalogRollouts?: CatalogRolloutService;
  version?: string;
  /** Served at /metrics when given (`[metrics] enabled`). */
  metrics?: PatchbayMetrics;
  /** The built web console (default dist/console); served at / with the REST API. */
  consoleDir?: string;
}

/** Builds (does not start) the admin server. */
export async function buildAdminServer(deps: AdminServerDeps): Promise<FastifyInstance> {
  const logger = deps.logger.child({ component: 'admin-http' });
  const app = Fastify({
    loggerInstance: logger,
    ...requestLogFastifyOptions(),
    genReqId: () => randomUUID(),
    keepAliveTimeout: deps.config.server.keepAliveTimeoutSeconds * 1000,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    // Unknown body properties are refused (400), not silently dropped: a typo must not become a default.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = deps.config.server.headersTimeoutSeconds * 1000;
  registerErrorHandler(app);
  registerRequestLog(app, { accessLog: deps.config.log.accessLog });
  registerSecurityHeaders(app);
  // Recorded from the first route on, so the OpenAPI document covers the health routes too.
  const recorder = new OpenApiRecorder({
    '/healthz': 'Liveness: the process answers HTTP',
    '/readyz':
      'Readiness: the database is reachable and the content store readable and writable (503 naming the failed check otherwise)',
    '/metrics':
      'Prometheus metrics (text exposition); a token with metrics:read or an anonymous_addresses source',
  });
  if (deps.adminServices !== undefined) recorder.attach(app);
  // Route groups are plugins (encapsulated scopes); later groups register the same way.
  await app.register((scope, _opts, done) => {
    registerHealthRoutes(scope, { readiness: deps.readiness, logger });
    if (deps.metrics !== undefined)
      registerMetricsRoute(scope, {
        metrics: deps.metrics,
        anonymousAddresses: deps.config.metrics.anonymousAddresses,
        tokens: deps.adminServices?.tokens,
      });
    done();
  });

  if (deps.adminServices !== undefined)
    await registerAdminApi(
      app,
      {
        services: deps.adminServices,
        version: deps.version ?? '0.0.0',
        ...(deps.reports !== undefined ? { reports: deps.reports } : {}),
        ...(deps.cleanup !== undefined ? { cleanup: deps.cleanup } : {}),
        ...(deps.server !== undefined ? { server: deps.server } : {}),
        ...(deps.catalogRollouts !== undefined ? { catalogRollouts: deps.catalogRollouts } : {}),
      },
      recorder,
    );
  // The console needs the API (sign-in); it is never registered on the client server.
  if (deps.adminServices !== undefined) registerConsole(app, deps.consoleDir ?? defaultConsoleDir());

  return app;
}
