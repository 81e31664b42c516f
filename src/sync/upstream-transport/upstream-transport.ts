import type { Readable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Agent, Pool, ProxyAgent, buildConnector, type Dispatcher } from 'undici';
import { AppError, isAppError } from '../../errors.js';
import { XpressBodyDecoder } from '../../protocol/xpress/index.js';
import { backoffDelay, parseRetryAfter } from './backoff.js';
import { guardStream, readBodyBounded, type BodyLimits } from './body-guard.js';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';
import { checkedLookup } from './checked-lookup.js';
import { classifyError } from './classify-error.js';
import { systemClock, systemRandom, type Clock, type RandomSource } from './clock.js';
import {
  transportDefaults,
  type PoolOptions,
  type RetryPolicy,
  type TransportLimits,
  type TransportTimeouts,
  type UpstreamTransportOptions,
} from './options.js';
import { createProxySelector, redactUrl, type ProxyRoute, type ProxySelector } from './proxy-selection.js';
import { looksLikeSoapFault } from './soap-fault-sniff.js';
import { buildTlsConnectOptions, parsePins, withPinCheck, type Pin } from './tls-policy.js';

/** Bytes of an unwanted body (redirect, error page) read to keep the connection; beyond it the socket is closed. */
const DUMP_LIMIT = 64 * 1024;

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface SoapRequest {
  url: string;
  /** The operation's SOAPAction URI, e.g. `http://www.microsoft.com/SoftwareDistribution/GetCookie`. */
  soapAction: string;
  body: Buffer;
  /** Deadline of one attempt, connect to last byte. */
  timeoutMs?: number;
  /** The response is aborted (PB_ERR_UPSTREAM_TOO_LARGE) past this many bytes; it is never buffered beyond. */
  maxResponseBytes: number;
  /** 1.1 (default) sends `SOAPAction:`; 1.2 puts the action in the Content-Type. Must match the upstream. */
  soapVersion?: '1.1' | '1.2';
  signal?: AbortSignal;
}

export interface SoapResponse {
  status: number;
  headers: ResponseHeaders;
  body: Buffer;
  /** A non-2xx answer whose body looks like a SOAP fault; the caller's codec parses it. */
  isSoapFault: boolean;
  /** Attempts made, the successful one included. */
  attempts: number;
}

export interface ByteRange {
  start: number;
  /** Inclusive; open-ended when absent. */
  end?: number;
}

export interface DownloadRequest {
  url: string;
  /** Resume or fetch a slice (`Range: bytes=start-end`). */
  range?: ByteRange;
  signal?: AbortSignal;
  /** Bytes accepted in this response (default: limits.maxDownloadBytes). */
  maxBytes?: number;
  /**
   * Called with the URL and every redirect target before it is requested; throws (an AppError) to refuse
   * it. Where a download may go is the caller's policy (content hosts), not the transport's.
   */
  checkUrl?: (url: URL) => Promise<void>;
}

export interface DownloadResponse {
  /** 200 (whole file; the server may ignore a range) or 206 (the requested slice). */
  status: 200 | 206;
  headers: ResponseHeaders;
  /** The body; errors on it are AppErrors. Destroy it to abandon the download and free the connection. */
  body: Readable;
  contentLength: number | undefined;
  /** Parsed `Content-Range` of a 206. */
  contentRange: { start: number; end: number; total: number | undefined } | undefined;
  /** Final URL after redirects. */
  url: string;
  attempts: number;
}

type AttemptOutcome<T> =
  | { kind: 'ok'; value: T }
  /** The upstream answered but unavailable (5xx, 429): counts for the breaker, retried with backoff. */
  | { kind: 'unavailable'; error: AppError; retryAfterMs: number | undefined }
  /** The upstream answered with a definitive refusal (4xx): not retried, upstream counts as alive. */
  | { kind: 'refused'; error: AppError };

/**
 * HTTP transport to the upstream update server (Microsoft Update, a WSUS or another Patchbay): SOAP posts for
 * the ServerSync operations and streaming downloads for content files. It owns connection pooling, proxies, TLS
 * policy, limits, timeouts, retries with capped jittered backoff and one circuit breaker per origin. It knows
 * nothing about the operations themselves.
 *
 * SOAP calls are retried on transport failures because every ServerSync operation a downstream server makes is a
 * read (GetAuthConfig ... GetUpdateData); a call that fails after the request was sent is safe to repeat.
 */
export class UpstreamTransport {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #timeouts: TransportTimeouts;
  readonly #retry: RetryPolicy;
  readonly #limits: TransportLimits;
  readonly #pool: PoolOptions;
  readonly #breakerPolicy: UpstreamTransportOptions['breaker'] & typeof transportDefaults.breaker;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #proxySelector: ProxySelector;
  readonly #tlsConnect: ReturnType<typeof buildTlsConnectOptions>;
  readonly #pins: Pin[];
  readonly #userAgent: string;
  readonly #acceptXpress: boolean;
  readonly #direct: Agent;
  readonly #proxies = new Map<string, ProxyAgent>();
  #closed = false;

  constructor(options: UpstreamTransportOptions = {}) {
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'upstream-transport' });
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    this.#timeouts = { ...transportDefaults.timeouts, ...options.timeouts };
    this.#retry = { ...transportDefaults.retry, ...options.retry };
    this.#limits = { ...transportDefaults.limits, ...options.limits };
    this.#pool = { ...transportDefaults.pool, ...options.pool };
    this.#breakerPolicy = { ...transportDefaults.breaker, ...options.breaker };
    this.#userAgent = options.userAgent ?? transportDefaults.userAgent;
    this.#acceptXpress = options.acceptXpress ?? true;
    if (this.#retry.maxAttempts < 1 || this.#breakerPolicy.failureThreshold < 1) {
      throw new AppError(
        'PB_ERR_CONFIG_INVALID',
        'retry.maxAttempts and breaker.failureThreshold must be >= 1',
      );
    }
    this.#pins = parsePins(options.tls?.pins);
    this.#tlsConnect = buildTlsConnectOptions(options.tls);
    this.#proxySelector = createProxySelector(options.proxy ?? { mode: 'env' });
    this.#direct = new Agent({
      connections: this.#pool.connectionsPerOrigin,
      keepAliveTimeout: this.#pool.keepAliveTimeoutMs,
      connect: withPinCheck(
        buildConnector({
          ...this.#tlsConnect,
          timeout: this.#timeouts.connectMs,
          ...(options.connectCheck !== undefined
            ? { lookup: checkedLookup(options.connectCheck, options.lookup) }
            : options.lookup !== undefined
              ? { lookup: options.lookup }
              : {}),
        }),
        this.#pins,
      ),
    });
    this.#log.debug(
      {
        proxy: options.proxy?.mode ?? 'env',
        tlsVerify: this.#tlsConnect.rejectUnauthorized,
        pins: this.#pins.length,
      },
      'upstream transport ready',
    );
  }

  /** The breaker state of an origin (`https://host:port`), `closed` if never used. */
  breakerState(origin: string): BreakerState {
    return this.#breakers.get(new URL(origin).origin)?.state ?? 'closed';
  }

  async postSoap(req: SoapRequest): Promise<SoapResponse> {
    const url = this.#parseUrl(req.url);
    if (req.body.length > this.#limits.maxRequestBytes) {
      throw new AppError(
        'PB_ERR_UPSTREAM_TOO_LARGE',
        `SOAP request of ${req.body.length} bytes exceeds the limit`,
        {
          detail: { direction: 'request', bytes: req.body.length, maxBytes: this.#limits.maxRequestBytes },
        },
      );
    }
    // A quote, CR or LF in the action would break out of the header value.
    if (!/^[\x21\x23-\x7e]+$/.test(req.soapAction)) {
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'SOAPAction contains characters that are not allowed');
    }
    const headers: Record<string, string> = {
      'content-type':
        req.soapVersion === '1.2'
          ? `application/soap+xml; charset=utf-8; action="${req.soapAction}"`
          : 'text/xml; charset=utf-8',
      'accept-encoding': this.#acceptXpress ? 'xpress' : 'identity',
      'user-agent': this.#userAgent,
    };
    if (req.soapVersion !== '1.2') headers.soapaction = `"${req.soapAction}"`;
    const deadlineMs = req.timeoutMs ?? this.#timeouts.soapDeadlineMs;
    const safeUrl = redactUrl(url);

    return this.#withRetry(
      url,
      req.signal,
      async (attemptSignal, attempts) => {
        const res = await this.#dispatcherFor(url).request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers,
          body: req.body,
          signal: attemptSignal,
          headersTimeout: this.#timeouts.headersMs,
          bodyTimeout: this.#timeouts.bodyIdleMs,
        });
        const contentType = res.headers['content-type'];
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        const limit = ok
          ? req.maxResponseBytes
          : Math.min(req.maxResponseBytes, this.#limits.maxErrorBodyBytes);
        const declared = Number(res.headers['content-length']);
        const limits: BodyLimits = { maxBytes: limit, minRate: this.#timeouts.minRate, url: safeUrl };
        if (ok && Number.isFinite(declared) && declared > limit) {
          // Refuse before reading a byte of an announced oversized body.
          discard(res.body);
          throw new AppError(
            'PB_ERR_UPSTREAM_TOO_LARGE',
            `upstream response from ${safeUrl} declares ${declared} bytes`,
            {
              detail: { url: safeUrl, maxBytes: limit, declared },
            },
          );
        }
        const xpress = xpressDecoderFor(res.headers['content-encoding'], limit, safeUrl);
        if (xpress instanceof AppError) {
          discard(res.body);
          throw xpress;
        }
        let body: Buffer;
        try {
          // Xpress is decoded block by block as it arrives: the wire bytes and the decoded bytes are each
          // bounded by the call's limit, and nothing but one incomplete block is held besides the output.
          body = await readBodyBounded(
            res.body,
            limits,
            (e) => classifyError(e, safeUrl).error,
            xpress && ((chunk) => xpress.push(chunk)),
          );
          if (xpress) body = xpress.end();
        } catch (e) {
          // An oversized error page is not a fault we could use: report the status, not the size.
          if (!ok && e instanceof AppError && e.code === 'PB_ERR_UPSTREAM_TOO_LARGE') body = Buffer.alloc(0);
          else throw e;
        }
        const value: SoapResponse = {
          status: res.statusCode,
          headers: res.headers,
          body,
          isSoapFault: false,
          attempts,
        };
        if (ok) return { kind: 'ok', value };
        if (looksLikeSoapFault(contentType, body))
          return { kind: 'ok', value: { ...value, isSoapFault: true } };
        return this.#httpFailure(res.statusCode, res.headers, safeUrl);
      },
      deadlineMs,
    );
  }

  async download(req: DownloadRequest): Promise<DownloadResponse> {
    const first = this.#parseUrl(req.url);
    if (req.range !== undefined) {
      const { start, end } = req.range;
      if (
        !Number.isSafeInteger(start) ||
        start < 0 ||
        (end !== undefined && (!Number.isSafeInteger(end) || end < start))
      ) {
        throw new AppError('PB_ERR_INVALID_PARAMETER', 'invalid byte range', { detail: { start, end } });
      }
    }
    const maxBytes = req.maxBytes ?? this.#limits.maxDownloadBytes;
    const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': this.#userAgent };
    if (req.range !== undefined) headers.range = `bytes=${req.range.start}-${req.range.end ?? ''}`;

    return this.#withRetry(first, req.signal, async (attemptSignal, attempts) => {
      let url = first;
      for (let hop = 0; ; hop++) {
        await req.checkUrl?.(url);
        const res = await this.#dispatcherFor(url).request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers,
          signal: attemptSignal,
          headersTimeout: this.#timeouts.headersMs,
          bodyTimeout: this.#timeouts.bodyIdleMs,
        });
        const safeUrl = redactUrl(url);
        const location = res.headers.location;
        if ([301, 302, 303, 307, 308].includes(res.statusCode) && typeof location === 'string') {
          // Reading a small body to its end keeps the connection reusable; dump() closes it past the limit.
          await res.body.dump({ limit: DUMP_LIMIT });
          if (hop >= this.#limits.maxRedirects) {
            return {
              kind: 'refused',
              error: new AppError(
                'PB_ERR_UPSTREAM_HTTP',
                `too many redirects downloading ${redactUrl(first)}`,
                {
                  detail: { url: redactUrl(first), status: res.statusCode },
                },
              ),
            };
          }
          const next = new URL(location, url);
          if (next.protocol !== 'http:' && next.protocol !== 'https:') {
            return {
              kind: 'refused',
              error: new AppError('PB_ERR_UPSTREAM_HTTP', `redirect to unsupported scheme ${next.protocol}`, {
                detail: { url: safeUrl, status: res.statusCode },
              }),
            };
          }
          url = next;
          continue;
        }
        if (res.statusCode !== 200 && res.statusCode !== 206) {
          await res.body.dump({ limit: DUMP_LIMIT });
          return this.#httpFailure(res.statusCode, res.headers, safeUrl);
        }
        const declared = Number(res.headers['content-length']);
        const contentLength = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
        if (contentLength !== undefined && contentLength > maxBytes) {
          discard(res.body);
          throw new AppError(
            'PB_ERR_UPSTREAM_TOO_LARGE',
            `download from ${safeUrl} declares ${contentLength} bytes`,
            {
              detail: { url: safeUrl, maxBytes, declared: contentLength },
            },
          );
        }
        const contentRange =
          res.statusCode === 206 ? parseContentRange(res.headers['content-range']) : undefined;
        if (res.statusCode === 206 && contentRange === undefined) {
          discard(res.body);
          throw new AppError('PB_ERR_UPSTREAM_HTTP', `206 from ${safeUrl} without a valid Content-Range`, {
            detail: { url: safeUrl, status: 206 },
          });
        }
        const body = guardStream(
          res.body,
          { maxBytes, minRate: this.#timeouts.minRate, url: safeUrl },
          (e) => classifyError(e, safeUrl).error,
        );
        const value: DownloadResponse = {
          status: res.statusCode,
          headers: res.headers,
          body,
          contentLength,
          contentRange,
          url: url.href,
          attempts,
        };
        return { kind: 'ok', value };
      }
    });
  }

  /** Closes pooled connections; in-flight requests finish first. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#direct.close(), ...[...this.#proxies.values()].map((p) => p.close())]);
  }

  #parseUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch (e) {
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'upstream URL is not a valid URL', { cause: e });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AppError('PB_ERR_INVALID_PARAMETER', `upstream URL scheme ${url.protocol} is not supported`);
    }
    if (url.username !== '' || url.password !== '') {
      // Userinfo would be sent nowhere useful and could end up in logs.
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'upstream URL must not contain credentials');
    }
    if (this.#closed) throw new AppError('PB_ERR_INTERNAL', 'upstream transport is closed');
    return url;
  }

  #httpFailure<T>(status: number, headers: ResponseHeaders, safeUrl: string): AttemptOutcome<T> {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], this.#clock.now());
    const error = new AppError('PB_ERR_UPSTREAM_HTTP', `upstream answered HTTP ${status} for ${safeUrl}`, {
      detail: { url: safeUrl, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    });
    // 5xx, 429 and 408 say "not now"; other 4xx say "never" (wrong URL, forbidden).
    if (status >= 500 || status === 429 || status === 408)
      return { kind: 'unavailable', error, retryAfterMs };
    return { kind: 'refused', error };
  }

  #breakerFor(url: URL): CircuitBreaker {
    let b = this.#breakers.get(url.origin);
    if (b === undefined) {
      b = new CircuitBreaker(url.origin, this.#breakerPolicy, this.#clock, this.#random, this.#log);
      this.#breakers.set(url.origin, b);
    }
    return b;
  }

  #dispatcherFor(url: URL): Dispatcher {
    const route = this.#proxySelector.select(url);
    if (route === undefined) return this.#direct;
    const key = `${route.url}\u0000${route.username ?? ''}`;
    let agent = this.#proxies.get(key);
    if (agent === undefined) {
      agent = this.#createProxyAgent(route);
      this.#proxies.set(key, agent);
    }
    return agent;
  }

  #createProxyAgent(route: ProxyRoute): ProxyAgent {
    const pins = this.#pins;
    this.#log.debug({ proxy: route.url, auth: route.username !== undefined }, 'using upstream proxy');
    return new ProxyAgent({
      uri: route.url,
      ...(route.username !== undefined
        ? { token: `Basic ${Buffer.from(`${route.username}:${route.password ?? ''}`).toString('base64')}` }
        : {}),
      // Plain-http upstreams are forwarded (GET http://host/...), which every proxy allows; CONNECT to port 80
      // is refused by default on squid and many corporate proxies. https upstreams always tunnel.
      proxyTunnel: false,
      requestTls: { ...this.#tlsConnect, timeout: this.#timeouts.connectMs },
      proxyTls: { timeout: this.#timeouts.connectMs },
      connections: this.#pool.connectionsPerOrigin,
      keepAliveTimeout: this.#pool.keepAliveTimeoutMs,
      // Pin checks must run on the tunnelled TLS leg too; the factory sees the tunnel's connect function.
      factory: (origin: string | URL, opts: object) => {
        const o = opts as Pool.Options & { connect?: unknown };
        const connect = typeof o.connect === 'function' ? withPinCheck(o.connect, pins) : o.connect;
        return new Pool(origin, { ...o, connect });
      },
    });
  }

  /**
   * Runs attempts under the breaker with capped full-jitter backoff between them. Stops on success, on a
   * non-retryable failure, when the breaker opens (fail fast with PB_ERR_UPSTREAM_UNAVAILABLE) or after
   * maxAttempts. The caller's signal aborts everything, including a backoff sleep.
   */
  async #withRetry<T>(
    url: URL,
    callerSignal: AbortSignal | undefined,
    attempt: (signal: AbortSignal, attempts: number) => Promise<AttemptOutcome<T>>,
    deadlineMs?: number,
  ): Promise<T> {
    const breaker = this.#breakerFor(url);
    const safeUrl = redactUrl(url);
    let last: AppError | undefined;
    for (let n = 1; ; n++) {
      callerSignal?.throwIfAborted();
      const permit = breaker.acquire();
      if (!permit.allowed) {
        throw new AppError(
          'PB_ERR_UPSTREAM_UNAVAILABLE',
          `upstream ${url.origin} is offline: ${permit.reason}`,
          {
            ...(last ? { cause: last } : {}),
            detail: {
              origin: url.origin,
              retryAfterMs: permit.retryAfterMs,
              reason: permit.reason,
              since: new Date(permit.since).toISOString(),
            },
          },
        );
      }
      const deadline = new AbortController();
      const timer =
        deadlineMs === undefined
          ? undefined
          : setTimeout(
              () =>
                deadline.abort(
                  new AppError(
                    'PB_ERR_UPSTREAM_TIMEOUT',
                    `upstream deadline of ${deadlineMs} ms for ${safeUrl}`,
                    {
                      detail: { url: safeUrl, phase: 'deadline', deadlineMs },
                    },
                  ),
                ),
              deadlineMs,
            );
      const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
      let outcome: AttemptOutcome<T> | undefined;
      try {
        outcome = await attempt(signal, n);
      } catch (e) {
        if (callerSignal?.aborted) {
          breaker.recordNeutral();
          throw callerSignal.reason;
        }
        const c = classifyError(deadline.signal.aborted ? deadline.signal.reason : e, safeUrl);
        if (c.availability) breaker.recordFailure(c.error.message);
        else breaker.recordNeutral();
        if (!c.retryable) {
          // Refused / no such host: said at once, naming the host, instead of after ~10 s of silent retries.
          if (c.error.code === 'PB_ERR_UPSTREAM_CONNECT')
            this.#log.warn({ ...c.error.detail, attempt: n }, c.error.message);
          throw c.error;
        }
        last = c.error;
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
      let retryAfterMs: number | undefined;
      if (outcome !== undefined) {
        if (outcome.kind === 'ok') {
          breaker.recordSuccess();
          return outcome.value;
        }
        if (outcome.kind === 'refused') {
          // The upstream is there and answered; it just will not serve this request.
          breaker.recordSuccess();
          throw outcome.error;
        }
        breaker.recordFailure(outcome.error.message);
        last = outcome.error;
        retryAfterMs = outcome.retryAfterMs;
      }
      if (last === undefined) throw new AppError('PB_ERR_INTERNAL', 'retry loop without an outcome');

      if (n >= this.#retry.maxAttempts) {
        this.#log.warn(
          { url: safeUrl, attempts: n, code: last.code },
          `upstream request failed after ${n} attempts: ${last.message}`,
        );
        throw last;
      }
      if (retryAfterMs !== undefined && retryAfterMs > this.#retry.maxRetryAfterMs) {
        // The upstream asks for more patience than one call has; let the scheduler come back later.
        throw last;
      }
      const delay = Math.max(backoffDelay(n - 1, this.#retry, this.#random), retryAfterMs ?? 0);
      // At warn: a sync that is slow because its upstream fails must say so while it waits.
      this.#log.warn(
        { url: safeUrl, attempt: n, maxAttempts: this.#retry.maxAttempts, delayMs: delay, code: last.code },
        `upstream retry in ${delay} ms (attempt ${n} of ${this.#retry.maxAttempts}): ${last.message}`,
      );
      await this.#clock.sleep(delay, callerSignal);
    }
  }
}

/**
 * The decoder for a `Content-Encoding: xpress` answer (undefined for identity), or the refusal of a coding
 * we never offered. Decoder errors become transport errors: a bomb is PB_ERR_UPSTREAM_TOO_LARGE (the decoded
 * answer exceeds the call's limit), corrupt bytes PB_ERR_UPSTREAM_PROTOCOL.
 */
function xpressDecoderFor(
  header: string | string[] | undefined,
  maxBytes: number,
  safeUrl: string,
): { push(chunk: Buffer): void; end(): Buffer } | AppError | undefined {
  const coding = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (coding === '' || coding === 'identity') return undefined;
  if (coding !== 'xpress')
    return new AppError(
      'PB_ERR_UPSTREAM_PROTOCOL',
      `upstream ${safeUrl} answered in Content-Encoding ${coding.slice(0, 40)}, which was not offered`,
      {
        detail: { url: safeUrl, contentEncoding: coding.slice(0, 40) },
      },
    );
  const decoder = new XpressBodyDecoder({ maxDecodedBytes: maxBytes });
  const mapped = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (!isAppError(e) || e.code !== 'PB_ERR_DECOMPRESS') throw e;
      if (e.detail?.kind === 'bomb')
        throw new AppError(
          'PB_ERR_UPSTREAM_TOO_LARGE',
          `upstream response from ${safeUrl} decodes to more than ${maxBytes} bytes`,
          {
            cause: e,
            detail: { url: safeUrl, maxBytes, contentEncoding: 'xpress' },
          },
        );
      throw new AppError(
        'PB_ERR_UPSTREAM_PROTOCOL',
        `upstream response from ${safeUrl} is not valid Xpress: ${e.message}`,
        {
          cause: e,
          detail: { url: safeUrl, contentEncoding: 'xpress' },
        },
      );
    }
  };
  return { push: (chunk) => mapped(() => decoder.push(chunk)), end: () => mapped(() => decoder.end()) };
}

/**
 * Abandons an undici body. undici reports a destroy before the end as an 'error' event (RequestAbortedError);
 * without a listener that would become an uncaught exception.
 */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

function parseContentRange(value: string | string[] | undefined): DownloadResponse['contentRange'] {
  const raw = Array.isArray(value) ? value[0] : value;
  const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/.exec(raw?.trim() ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === '*' ? undefined : Number(m[3]);
  if (end < start || (total !== undefined && end >= total)) return undefined;
  return { start, end, total };
}
