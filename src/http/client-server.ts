/**
 * The server Windows Update clients talk to (8530 HTTP, 8531 HTTPS). One factory builds it for either
 * port, so both always serve the same routes. This is the seam later work extends: the SOAP endpoints
 * (client web service, reporting), the content routes and the self-update files register below, taking
 * what they need from `ClientServerDeps` (add fields there; `main.ts` is the only caller that builds them).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Logger, PatchbayMetrics } from '../observability/index.js';
import type { ClientWebService } from '../client-service/index.js';
import type { UpstreamWebService } from '../upstream-service/index.js';
import type { ContentStore } from '../storage/index.js';
import { clientWsEndpoints, reportingPaths, reportingXmlLimits } from './client-ws-routes.js';
import { registerRollupOperations, serverSyncEndpoints } from './server-sync-routes.js';
import { SoapOperationRegistry } from '../protocol/soap/index.js';
import type { SoapHandler } from './soap-routes.js';
import { BodyBudget } from './body-receive.js';
import { registerConcurrencyLimit, type BusyResponder } from './concurrency-limit.js';
import { contentRoutes } from './content-routes.js';
import { AppError } from '../errors.js';
import { faultActorFor, sendSoapFault, soapEndpointForPath, soapRoutes } from './soap-routes.js';
import { registerErrorHandler } from './error-handler.js';
import { registerHealthRoutes, type ReadinessCheck } from './health-routes.js';
import { registerRequestLog, requestLogFastifyOptions } from './request-log.js';
import { createXpressAnswers } from './xpress-answer.js';

export interface ClientServerDeps {
  config: Config;
  logger: Logger;
  /** What /readyz checks (the database, later the content store). */
  readiness: readonly ReadinessCheck[];
  /** How a request over the concurrency cap is answered (default: 503 + Retry-After; SOAP paths: ServerBusy). */
  onBusy?: BusyResponder;
  /**
   * Refuse new requests (503 / ServerBusy) while the event loop lags more than this; 0 = off. Default 200 ms
   * (concurrency-limit.ts: on a CPU-bound server the in-flight cap alone never sees the queue).
   */
  maxEventLoopLagMs?: number;
  /** The MS-WUSP service; when given, the SOAP endpoints of docs/protocol/client.md §1.1 are served. */
  clientService?: ClientWebService;
  /** Update content; when given, `/Content/...` is served from it. */
  contentStore?: ContentStore;
  /** The upstream role (MS-WSUSSS for downstream servers); when given, ServerSync and DssAuth are served. */
  upstreamService?: UpstreamWebService;
  /** Request, shedding and content counters for /metrics (served on the admin port). */
  metrics?: PatchbayMetrics;
}

export interface ClientServerOptions {
  /**
   * PEM certificate and key: builds the HTTPS server. `clientCa` (`[upstream_service] client_ca_file`): every
   * connection is asked for a client certificate, none is required at the handshake (Windows Update Agents
   * send none); the upstream role checks the verdict per call (server-sync-routes.ts clientCertificateOf).
   */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
}

/** Builds (does not start) the client-facing server. */
export async function buildClientServer(
  deps: ClientServerDeps,
  options: ClientServerOptions = {},
): Promise<FastifyInstance> {
  const { server } = deps.config;
  const logger = deps.logger.child({ component: options.tls ? 'client-https' : 'client-http' });
  const reqIdPrefix = randomUUID().slice(0, 8);
  let reqCounter = 0;
  const fastifyOptions = {
    loggerInstance: logger,
    ...requestLogFastifyOptions(),
    // Unique across nodes and restarts without a UUID per request (randomUUID showed in the P1 profile).
    genReqId: () => `${reqIdPrefix}-${(++reqCounter).toString(36)}`,
    keepAliveTimeout: server.keepAliveTimeoutSeconds * 1000,
    bodyLimit: server.requestBodyLimit,
    // Clients never see a half-closed server: close idle keep-alive sockets at shutdown, 503 new requests.
    forceCloseConnections: 'idle' as const,
    // WUA writes `client.asmx`, WS2025 also answers `Client.asmx`: every path is matched case-insensitively.
    routerOptions: { caseSensitive: false },
    return503OnClosing: true,
    ...(options.tls
      ? {
          https: {
            cert: options.tls.cert,
            key: options.tls.key,
            ...(options.tls.clientCa
              ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: false }
              : {}),
          },
        }
      : {}),
  };
  // fastify's https typing changes the instance type; the routes are identical, so view both as one.
  const app = Fastify(fastifyOptions) as unknown as FastifyInstance;
  app.server.headersTimeout = server.headersTimeoutSeconds * 1000;

  registerErrorHandler(app);
  registerRequestLog(app, { accessLog: deps.config.log.accessLog });
  const rollup = deps.upstreamService?.rollup;
  const withRollup = (r: SoapOperationRegistry<SoapHandler>) =>
    rollup === undefined ? r : registerRollupOperations(r, rollup);
  const soapEndpoints = [
    ...(deps.clientService ? clientWsEndpoints(deps.clientService, withRollup) : []),
    ...(deps.upstreamService ? serverSyncEndpoints(deps.upstreamService) : []),
    // Without the client service the Reporting endpoint carries the roll-up operations alone.
    ...(!deps.clientService && rollup
      ? [
          {
            paths: [...reportingPaths],
            style: 'asmx' as const,
            registry: withRollup(new SoapOperationRegistry<SoapHandler>()),
            xmlLimits: reportingXmlLimits,
          },
        ]
      : []),
  ];
  // Over the cap, a SOAP endpoint answers a ServerBusy fault (503 + Retry-After, no queueing); others a plain 503.
  const soapBusy: BusyResponder = (request, reply) => {
    const endpoint = soapEndpointForPath(soapEndpoints, request.raw.url);
    if (endpoint === undefined)
      return reply
        .code(503)
        .header('retry-after', '1')
        .type('text/plain; charset=utf-8')
        .send('server busy\n');
    reply.header('retry-after', '1');
    return sendSoapFault(
      request,
      reply,
      new AppError('PB_ERR_SERVER_BUSY', 'concurrency cap reached'),
      endpoint.style,
      { status: 503, actor: faultActorFor(request, server.baseUrl, endpoint) },
    );
  };
  registerConcurrencyLimit(app, {
    maxPerEndpoint: server.maxConcurrentRequests,
    ...(deps.maxEventLoopLagMs !== undefined ? { maxEventLoopLagMs: deps.maxEventLoopLagMs } : {}),
    onBusy: deps.onBusy ?? soapBusy,
    ...(deps.metrics ? { onShed: (reason) => deps.metrics!.shed.inc({ reason }) } : {}),
  });
  // Route groups are plugins (encapsulated scopes); later groups register the same way.
  await app.register((scope, _opts, done) => {
    registerHealthRoutes(scope, { readiness: deps.readiness, logger });
    done();
  });

  if (soapEndpoints.length > 0)
    await app.register(soapRoutes, {
      endpoints: soapEndpoints,
      bodyLimit: server.requestBodyLimit,
      advertisedBaseUrl: server.baseUrl,
      ...(server.xpress ? { xpress: createXpressAnswers(server.xpressCacheSize) } : {}),
      metrics: deps.metrics,
      body: {
        timeoutMs: server.requestBodyTimeoutSeconds * 1000,
        minBytesPerSecond: server.requestBodyMinBytesPerSecond,
        // One maximal body must always fit, or a valid request could never be served.
        budget: new BodyBudget(Math.max(server.maxBufferedRequestBytes, server.requestBodyLimit)),
      },
    });
  if (deps.contentStore)
    await app.register(contentRoutes, {
      store: deps.contentStore,
      log: logger,
      ...(deps.metrics ? { onBytesServed: (n: number) => deps.metrics!.contentBytesServed.inc(n) } : {}),
    });

  return app;
}
