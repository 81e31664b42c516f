export { UpstreamTransport } from './upstream-transport.js';
export type {
  ByteRange,
  DownloadRequest,
  DownloadResponse,
  ResponseHeaders,
  SoapRequest,
  SoapResponse,
} from './upstream-transport.js';
export { MICROSOFT_UPDATE_SERVER_SYNC_URL, transportDefaults } from './options.js';
export type {
  PoolOptions,
  RetryPolicy,
  TransportLimits,
  TransportTimeouts,
  UpstreamTransportOptions,
} from './options.js';
export type { ProxyOptions } from './proxy-selection.js';
export type { UpstreamTlsOptions } from './tls-policy.js';
export type { CircuitBreakerPolicy, BreakerState } from './circuit-breaker.js';
export type { Clock, RandomSource } from './clock.js';
export { systemClock, systemRandom } from './clock.js';
export type { MinRate } from './body-guard.js';
export { parseNoProxy, isLoopbackHost } from './no-proxy.js';
export { backoffDelay, parseRetryAfter } from './backoff.js';
export { transportOptionsFromConfig } from './options-from-config.js';
export {
  addressClass,
  allowedAddressClasses,
  bareHost,
  connectAddressCheck,
  resolveHost,
  upstreamHostOf,
  type AddressClass,
} from './address-class.js';
