import type { LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import type { AppError } from '../../errors.js';
import type { BackoffPolicy } from './backoff.js';
import type { MinRate } from './body-guard.js';
import type { CircuitBreakerPolicy } from './circuit-breaker.js';
import type { Clock, RandomSource } from './clock.js';
import type { ProxyOptions } from './proxy-selection.js';
import type { UpstreamTlsOptions } from './tls-policy.js';

/** Microsoft Update's ServerSync endpoint (docs/protocol/server-sync.md §2.3), the default upstream; DSS auth there is anonymous. */
export const MICROSOFT_UPDATE_SERVER_SYNC_URL =
  'https://sws.update.microsoft.com/ServerSyncWebService/ServerSyncWebService.asmx';

export interface TransportTimeouts {
  /** TCP + TLS (+ proxy CONNECT) establishment. */
  connectMs: number;
  /** From the request being sent to the response headers. Generous: WSUS builds 3 MB id lists before answering. */
  headersMs: number;
  /** Longest silence between two body chunks. */
  bodyIdleMs: number;
  /** Whole SOAP attempt (connect to last byte); `postSoap({ timeoutMs })` overrides it per call. */
  soapDeadlineMs: number;
  /** Minimum body rate that defeats slow-drip answers; undefined disables it. */
  minRate: MinRate | undefined;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** A `Retry-After` longer than this is not waited for inside one call: the call fails with the hint. */
  maxRetryAfterMs: number;
}

export interface TransportLimits {
  /** Largest SOAP request body we send. */
  maxRequestBytes: number;
  /** Largest non-2xx body read to look for a SOAP fault. */
  maxErrorBodyBytes: number;
  /** Default byte limit of a content download when the caller gives none. */
  maxDownloadBytes: number;
  /** Redirects followed by `download` (content URLs may hop to a CDN); `postSoap` follows none. */
  maxRedirects: number;
}

export interface PoolOptions {
  /** Keep-alive connections per origin. */
  connectionsPerOrigin: number;
  keepAliveTimeoutMs: number;
}

/**
 * Everything the transport needs, as a plain object; the `[upstream]` config section maps onto it. All fields are
 * optional; defaults are in `transportDefaults`.
 */
export interface UpstreamTransportOptions {
  /** Default `{ mode: 'env' }`: the standard proxy variables, loopback targets direct. */
  proxy?: ProxyOptions;
  tls?: UpstreamTlsOptions;
  timeouts?: Partial<TransportTimeouts>;
  retry?: Partial<RetryPolicy>;
  breaker?: Partial<CircuitBreakerPolicy>;
  limits?: Partial<TransportLimits>;
  pool?: Partial<PoolOptions>;
  userAgent?: string;
  /**
   * Offer `Accept-Encoding: xpress` on SOAP calls, as a Windows downstream server does (default true); Xpress
   * answers are decoded under the call's response limit (docs/protocol/upstream.md §U3).
   */
  acceptXpress?: boolean;
  logger?: Logger;
  /**
   * Checked on every address a direct connection is about to use, after DNS answered (connectAddressCheck),
   * so a name that passed a URL check cannot resolve elsewhere when the socket opens. Returns the refusal.
   */
  connectCheck?: (host: string, address: string) => Promise<AppError | undefined>;
  /** Test hook: the DNS lookup of direct connections (default node:dns `lookup`). */
  lookup?: LookupFunction;
  /** Test hooks: backoff sleeps and breaker cool-downs use these. */
  clock?: Clock;
  random?: RandomSource;
}

export const transportDefaults = {
  timeouts: {
    connectMs: 15_000,
    headersMs: 300_000,
    bodyIdleMs: 60_000,
    soapDeadlineMs: 900_000,
    minRate: { bytes: 16 * 1024, windowMs: 60_000 },
  } satisfies TransportTimeouts,
  retry: {
    maxAttempts: 5,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
    maxRetryAfterMs: 600_000,
  } satisfies RetryPolicy,
  breaker: { failureThreshold: 5, coolDownMs: 30_000, maxCoolDownMs: 900_000 } satisfies CircuitBreakerPolicy,
  limits: {
    maxRequestBytes: 16 * 1024 * 1024,
    maxErrorBodyBytes: 256 * 1024,
    maxDownloadBytes: 16 * 1024 * 1024 * 1024,
    maxRedirects: 5,
  } satisfies TransportLimits,
  pool: { connectionsPerOrigin: 8, keepAliveTimeoutMs: 30_000 } satisfies PoolOptions,
  userAgent: 'Patchbay (WSUS-compatible server sync)',
} as const;
