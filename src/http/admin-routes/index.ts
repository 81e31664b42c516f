/**
 * The REST admin API (/api/v1/...) as one fastify plugin: problem+json errors, bearer tokens with role
 * permissions, request validation from the route schemas, and /openapi.json generated from those schemas.
 */
import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../../admin/index.js';
import { registerAuth, tokenOf } from './auth.js';
import { registerCleanupRoutes } from './cleanup-routes.js';
import { registerDownstreamRoutes } from './downstreams-routes.js';
import { registerFleetRoutes } from './fleet-routes.js';
import { registerJobRoutes } from './jobs-routes.js';
import { registerServerRoutes } from './server-routes.js';
import type { JobRunner } from '../../jobs/index.js';
import type { ServerAdmin } from '../../operations/index.js';
import { OpenApiRecorder } from './openapi.js';
import type { ReportsService } from '../../reports/index.js';
import type { CleanupService } from '../../maintenance/index.js';
import type { CatalogRolloutService } from '../../sync/index.js';
import { registerProblemHandlers } from './problem.js';
import { registerReportRoutes } from './reports-routes.js';
import { registerRingRoutes } from './rings-routes.js';
import { registerRuleRoutes } from './rules-routes.js';
import { registerSessionRoutes } from './session-routes.js';
import { problemSchema, problems } from './schemas.js';
import { registerUpdateRoutes } from './updates-routes.js';

export interface AdminApiOptions {
  services: AdminServices;
  version: string;
  /** The reports service (src/reports); its routes are served when given. */
  reports?: ReportsService;
  /** The server cleanup (src/maintenance); `POST /api/v1/cleanup` is served when given. */
  cleanup?: CleanupService;
  /** Server operations (sync, catalog, content, selection, settings) and the jobs they start; served when given. */
  server?: { admin: ServerAdmin; jobs: JobRunner };
  /** The ringed catalog change (src/sync/rollout); `/api/v1/catalog/rollout...` is served when given. */
  catalogRollouts?: CatalogRolloutService;
}

export { OpenApiRecorder } from './openapi.js';
export { problemFor, problemContentType, type Problem } from './problem.js';
export type { AdminRouteConfig } from './auth.js';

/**
 * Registers the API in its own scope. `recorder` must already be attached to `app` (before any route, the
 * health routes included) so /openapi.json describes every route of the server.
 */
export async function registerAdminApi(
  app: FastifyInstance,
  opts: AdminApiOptions,
  recorder: OpenApiRecorder,
): Promise<void> {
  await app.register((scope, _o, done) => {
    scope.addSchema(problemSchema);
    // Schemas validate and document; answers are written as plain JSON so a schema can never drop a field.
    scope.setSerializerCompiler(() => (data) => JSON.stringify(data));
    registerProblemHandlers(scope);
    registerAuth(scope, opts.services.tokens, opts.services.sessions);
    registerSessionRoutes(scope, opts.services.sessions);

    scope.get(
      '/openapi.json',
      {
        config: { public: true },
        schema: {
          summary: 'This OpenAPI 3.1 document',
          tags: ['meta'],
          response: { 200: { type: 'object', additionalProperties: true } },
        },
      },
      async (_req, reply) =>
        reply.header('cache-control', 'no-cache').send(recorder.document({ version: opts.version })),
    );
    scope.get(
      '/api/v1/whoami',
      {
        schema: {
          summary: 'The calling token: name and roles',
          tags: ['meta'],
          response: {
            200: {
              type: 'object',
              properties: { name: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } },
            },
            ...problems(),
          },
        },
      },
      (req, reply) => {
        const t = tokenOf(req);
        return reply.send({ name: t.name, roles: t.roles });
      },
    );
    registerUpdateRoutes(scope, opts.services);
    registerFleetRoutes(scope, opts.services);
    registerRuleRoutes(scope, opts.services);
    registerDownstreamRoutes(scope, opts.services);
    registerRingRoutes(scope, {
      services: opts.services,
      ...(opts.catalogRollouts !== undefined ? { catalogRollouts: opts.catalogRollouts } : {}),
    });
    if (opts.reports !== undefined) registerReportRoutes(scope, opts.reports);
    if (opts.cleanup !== undefined) registerCleanupRoutes(scope, opts.cleanup);
    if (opts.server !== undefined) {
      registerServerRoutes(scope, opts.server.admin);
      registerJobRoutes(scope, opts.server.jobs);
    }
    done();
  });
}
