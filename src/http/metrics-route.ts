/**
 * `GET /metrics` on the admin port (docs/operations.md "Metrics"): the Prometheus text exposition. Access:
 * an API token holding `metrics:read` (role monitor, reporter or admin) as `Authorization: Bearer`, which
 * Prometheus sends with `authorization: { credentials_file: ... }`; or a source address listed in
 * `[metrics] anonymous_addresses` (a Prometheus on the same host, say). Everyone else gets 401 / 403.
 */
import type { FastifyInstance } from 'fastify';
import { rolesAllow, type TokenService } from '../admin/index.js';
import { addressMatcher } from '../config/index.js';
import { AppError, isAppError } from '../errors.js';
import type { PatchbayMetrics } from '../observability/index.js';
import { sendProblem } from './admin-routes/problem.js';
import { healthRouteConfig } from './health-routes.js';

export interface MetricsRouteOptions {
  readonly metrics: PatchbayMetrics;
  readonly anonymousAddresses: readonly string[];
  /** Without a token service only the anonymous addresses may scrape. */
  readonly tokens: TokenService | undefined;
}

export function registerMetricsRoute(app: FastifyInstance, o: MetricsRouteOptions): void {
  const anonymous = addressMatcher(o.anonymousAddresses);
  app.get(
    '/metrics',
    { logLevel: 'warn', config: { ...healthRouteConfig, public: true } },
    async (request, reply) => {
      if (!anonymous(request.ip)) {
        try {
          if (o.tokens === undefined)
            throw new AppError(
              'PB_ERR_FORBIDDEN',
              'this address may not scrape /metrics (metrics.anonymous_addresses)',
            );
          const token = await o.tokens.authenticate(request.headers.authorization);
          if (!rolesAllow(token.roles, 'metrics:read'))
            throw new AppError(
              'PB_ERR_FORBIDDEN',
              `token ${token.name} (${token.roles.join(', ')}) lacks metrics:read`,
              {
                detail: { permission: 'metrics:read', roles: token.roles },
              },
            );
        } catch (e) {
          if (!isAppError(e)) throw e;
          if (e.code === 'PB_ERR_UNAUTHENTICATED')
            void reply.header('www-authenticate', 'Bearer realm="patchbay"');
          return sendProblem(reply, request, e);
        }
      }
      const { contentType, body } = await o.metrics.expose();
      return reply.header('cache-control', 'no-store').type(contentType).send(body);
    },
  );
}
