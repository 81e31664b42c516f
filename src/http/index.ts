export { buildClientServer, type ClientServerDeps, type ClientServerOptions } from './client-server.js';
export { buildAdminServer, type AdminServerDeps } from './admin-server.js';
export {
  registerHealthRoutes,
  healthRouteConfig,
  type ReadinessCheck,
  type HealthRoutesOptions,
} from './health-routes.js';
export {
  registerConcurrencyLimit,
  defaultBusyResponder,
  defaultMaxEventLoopLagMs,
  EventLoopLag,
  type BusyResponder,
} from './concurrency-limit.js';
export { registerErrorHandler } from './error-handler.js';
export {
  contentRoutes,
  parseContentPath,
  type ContentRoutesOptions,
  type ContentPathResult,
} from './content-routes.js';
