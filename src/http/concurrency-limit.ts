/**
 * Overload protection on the client ports (targets P2/R7: beyond the configured concurrency answer 503 +
 * Retry-After at once, never an unbounded queue). Two measures, because on a CPU-bound server the first
 * alone rarely triggers:
 *
 * - A per-endpoint cap on requests in progress, counted from the moment the body has arrived (preHandler)
 *   until the response is closed, so handlers waiting on the database count. Bodies still arriving do not:
 *   hundreds of senders dripping a byte every few seconds would otherwise hold every slot (issue 10 item
 *   2); body-receive.ts bounds them with a deadline, a minimum rate and a byte budget instead.
 * - Event-loop lag. A SyncUpdates call on SQLite never yields (the reads are synchronous), so a saturated
 *   server has at most one request "in progress" while the rest wait unseen in socket and kernel buffers.
 *   What does grow is the delay of the event loop: a timer measures it, and while it shows a sustained lag
 *   over `maxEventLoopLagMs` (EventLoopLag), every new request is answered busy at once (in microseconds,
 *   before its body is parsed), which drains the hidden queue instead of letting it grow.
 *
 * Routes opt out with `config.concurrencyExempt` (health checks).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Answers a request refused for being over the cap. The SOAP layer can replace this with a ServerBusy fault. */
export type BusyResponder = (
  request: FastifyRequest,
  reply: FastifyReply,
) => FastifyReply | Promise<FastifyReply>;

export const defaultBusyResponder: BusyResponder = (_request, reply) =>
  reply
    .code(503)
    .header('retry-after', '1')
    .type('text/plain; charset=utf-8')
    .send('server busy, retry later\n');

/** Default lag beyond which new requests are refused (P2 wants p99 <= 250 ms at half load). */
export const defaultMaxEventLoopLagMs = 200;
const lagSampleMs = 25;

/**
 * Measures event-loop lag with a timer: how late each tick fires, over a window of the last 8 ticks
 * (~200 ms). The loop counts as overloaded when at least two ticks of the window were late by more than the
 * limit (a sustained backlog: requests keep arriving faster than they are served), or when the current tick
 * is already overdue by more than the limit (a stall in progress: whatever queued behind it is late).
 * A single late tick alone (a first request compiling code, one long GC) sheds nothing afterwards.
 */
export class EventLoopLag {
  readonly #recent = new Float64Array(8);
  #next = 0;
  #expected = 0;
  #timer: NodeJS.Timeout | undefined;

  start(): void {
    if (this.#timer !== undefined) return;
    this.#expected = performance.now() + lagSampleMs;
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#recent[this.#next] = Math.max(0, now - this.#expected);
      this.#next = (this.#next + 1) % this.#recent.length;
      this.#expected = now + lagSampleMs;
    }, lagSampleMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#recent.fill(0);
  }

  /** The lag that decides (see the class comment): 0 while not overloaded by `limitMs`. */
  overloadLagMs(limitMs: number): number {
    if (this.#timer === undefined) return 0;
    const overdue = performance.now() - this.#expected;
    if (overdue > limitMs) return overdue;
    let late = 0;
    let worst = 0;
    for (const l of this.#recent)
      if (l > limitMs) {
        late++;
        if (l > worst) worst = l;
      }
    return late >= 2 ? worst : 0;
  }
}

export interface ConcurrencyLimitOptions {
  readonly maxPerEndpoint: number;
  /** Refuse new requests while the event loop lags more than this (0 = off). */
  readonly maxEventLoopLagMs?: number;
  readonly onBusy?: BusyResponder;
  /** Told of every refused request (the shed counter of /metrics). */
  readonly onShed?: (reason: 'concurrency' | 'event_loop_lag') => void;
}

export function registerConcurrencyLimit(app: FastifyInstance, opts: ConcurrencyLimitOptions): void {
  const inFlight = new Map<string, number>();
  const onBusy = opts.onBusy ?? defaultBusyResponder;
  const maxLag = opts.maxEventLoopLagMs ?? defaultMaxEventLoopLagMs;
  const lag = new EventLoopLag();
  if (maxLag > 0) {
    app.addHook('onListen', (done) => {
      lag.start();
      done();
    });
    app.addHook('onClose', (_instance, done) => {
      lag.stop();
      done();
    });
  }
  let lastLagWarning = 0;
  const exempt = (request: FastifyRequest): boolean =>
    (request.routeOptions.config as { concurrencyExempt?: boolean } | undefined)?.concurrencyExempt === true;
  const refuse = async (
    request: FastifyRequest,
    reply: FastifyReply,
    key: string,
    n: number,
    lagMs: number,
  ): Promise<FastifyReply> => {
    opts.onShed?.(lagMs > 0 ? 'event_loop_lag' : 'concurrency');
    // One warning a second at most: an overload must not also flood the log.
    const now = Date.now();
    if (now - lastLagWarning >= 1000) {
      lastLagWarning = now;
      request.log.warn(
        { endpoint: key, inFlight: n, eventLoopLagMs: Math.round(lagMs) },
        'server busy; requests refused',
      );
    }
    await onBusy(request, reply);
    return reply;
  };
  // Unmatched URLs share one bucket, so random paths cannot create unbounded map entries.
  const keyOf = (request: FastifyRequest): string =>
    request.routeOptions.url === undefined ? '(unmatched)' : `${request.method} ${request.routeOptions.url}`;
  // Lag is checked before the body is read: shedding then costs microseconds and no buffering.
  if (maxLag > 0)
    app.addHook('onRequest', async (request, reply) => {
      if (exempt(request)) return;
      const lagMs = lag.overloadLagMs(maxLag);
      if (lagMs > 0) return refuse(request, reply, keyOf(request), inFlight.get(keyOf(request)) ?? 0, lagMs);
    });
  app.addHook('preHandler', async (request, reply) => {
    if (exempt(request)) return;
    const key = keyOf(request);
    const n = inFlight.get(key) ?? 0;
    if (n >= opts.maxPerEndpoint) return refuse(request, reply, key, n, 0);
    inFlight.set(key, n + 1);
    reply.raw.once('close', () => {
      const left = (inFlight.get(key) ?? 1) - 1;
      if (left <= 0) inFlight.delete(key);
      else inFlight.set(key, left);
    });
  });
}
