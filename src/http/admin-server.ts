/**
 * The admin server (REST API and health) on its own port, loopback by default, so that the management
 * surface is never exposed where clients connect. It serves health and the REST API (src/http/admin-routes).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { AdminServices } from '../admin/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../observability/index.js';
import { registerAdminApi } from './admin-routes/index.js';
import { registerErrorHandler } from './error-handler.js';
import { registerHealthRoutes, type ReadinessCheck } from './health-routes.js';

export interface AdminServerDeps {
  config: Config;
  logger: Logger;
  readiness: readonly ReadinessCheck[];
  /** The REST API (/api/v1, /openapi.json) is served when the administration services are given. */
  adminServices?: AdminServices;
  /** Extra API route groups (reports), registered inside the API scope (auth, problem+json, OpenAPI). */
  adminApiRoutes?: readonly ((app: FastifyInstance, services: AdminServices) => void)[];
  version?: string;
}

/** Builds (does not start) the admin server. */
export async function buildAdminServer(deps: AdminServerDeps): Promise<FastifyInstance> {
  const logger = deps.logger.child({ component: 'admin-http' });
  const app = Fastify({
    loggerInstance: logger,
    genReqId: () => randomUUID(),
    keepAliveTimeout: deps.config.server.keepAliveTimeoutSeconds * 1000,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    // Unknown body properties are refused (400), not silently dropped: a typo must not become a default.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = deps.config.server.headersTimeoutSeconds * 1000;
  registerErrorHandler(app);
  // Route groups are plugins (encapsulated scopes); later groups register the same way.
  await app.register((scope, _opts, done) => {
    registerHealthRoutes(scope, { readiness: deps.readiness, logger });
    done();
  });

  if (deps.adminServices !== undefined)
    await registerAdminApi(app, {
      services: deps.adminServices,
      version: deps.version ?? '0.0.0',
      ...(deps.adminApiRoutes !== undefined ? { extraRoutes: deps.adminApiRoutes } : {}),
    });

  return app;
}
