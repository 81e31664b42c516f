/**
 * The admin server (REST API and health) on its own port, loopback by default, so that the management
 * surface is never exposed where clients connect. Today it serves health; the REST API registers here.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Logger } from '../observability/index.js';
import { registerErrorHandler } from './error-handler.js';
import { registerHealthRoutes, type ReadinessCheck } from './health-routes.js';

export interface AdminServerDeps {
  config: Config;
  logger: Logger;
  readiness: readonly ReadinessCheck[];
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
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = deps.config.server.headersTimeoutSeconds * 1000;
  registerErrorHandler(app);
  // Route groups are plugins (encapsulated scopes); later groups register the same way.
  await app.register((scope, _opts, done) => {
    registerHealthRoutes(scope, { readiness: deps.readiness, logger });
    done();
  });

  // Later: the REST API (/api/v1/...) registers here.

  return app;
}
