/**
 * The server Windows Update clients talk to (8530 HTTP, 8531 HTTPS). One factory builds it for either
 * port, so both always serve the same routes. This is the seam later work extends: the SOAP endpoints
 * (client web service, reporting), the content routes and the self-update files register below, taking
 * what they need from `ClientServerDeps` (add fields there; `main.ts` is the only caller that builds them).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Logger } from '../observability/index.js';
import { registerConcurrencyLimit, type BusyResponder } from './concurrency-limit.js';
import { registerErrorHandler } from './error-handler.js';
import { registerHealthRoutes, type ReadinessCheck } from './health-routes.js';

export interface ClientServerDeps {
  config: Config;
  logger: Logger;
  /** What /readyz checks (the database, later the content store). */
  readiness: readonly ReadinessCheck[];
  /** How a request over the concurrency cap is answered (default: 503 + Retry-After). */
  onBusy?: BusyResponder;
}

export interface ClientServerOptions {
  /** PEM certificate and key: builds the HTTPS server. */
  tls?: { cert: Buffer; key: Buffer };
}

/** Builds (does not start) the client-facing server. */
export async function buildClientServer(
  deps: ClientServerDeps,
  options: ClientServerOptions = {},
): Promise<FastifyInstance> {
  const { server } = deps.config;
  const logger = deps.logger.child({ component: options.tls ? 'client-https' : 'client-http' });
  const fastifyOptions = {
    loggerInstance: logger,
    genReqId: () => randomUUID(),
    keepAliveTimeout: server.keepAliveTimeoutSeconds * 1000,
    bodyLimit: server.requestBodyLimit,
    // Clients never see a half-closed server: close idle keep-alive sockets at shutdown, 503 new requests.
    forceCloseConnections: 'idle' as const,
    return503OnClosing: true,
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  };
  // fastify's https typing changes the instance type; the routes are identical, so view both as one.
  const app = Fastify(fastifyOptions) as unknown as FastifyInstance;
  app.server.headersTimeout = server.headersTimeoutSeconds * 1000;

  registerErrorHandler(app);
  registerConcurrencyLimit(app, {
    maxPerEndpoint: server.maxConcurrentRequests,
    ...(deps.onBusy ? { onBusy: deps.onBusy } : {}),
  });
  // Route groups are plugins (encapsulated scopes); later groups register the same way.
  await app.register((scope, _opts, done) => {
    registerHealthRoutes(scope, { readiness: deps.readiness, logger });
    done();
  });

  // Later: SOAP endpoints (/ClientWebService/client.asmx, /SimpleAuthWebService/SimpleAuth.asmx,
  // /ReportingWebService/ReportingWebService.asmx) and content routes (/Content/...) register here.

  return app;
}
