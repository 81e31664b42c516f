/**
 * A per-endpoint cap on requests in progress (targets P2: beyond the configured concurrency answer 503 +
 * Retry-After at once, never an unbounded queue). Counted from the first hook (before the body is read)
 * until the response is closed, so slow uploads count too. Routes opt out with `config.concurrencyExempt`.
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

export function registerConcurrencyLimit(
  app: FastifyInstance,
  opts: { maxPerEndpoint: number; onBusy?: BusyResponder },
): void {
  const inFlight = new Map<string, number>();
  const onBusy = opts.onBusy ?? defaultBusyResponder;
  app.addHook('onRequest', async (request, reply) => {
    const routeConfig = request.routeOptions.config as { concurrencyExempt?: boolean } | undefined;
    if (routeConfig?.concurrencyExempt) return;
    // Unmatched URLs share one bucket, so random paths cannot create unbounded map entries.
    const key =
      request.routeOptions.url === undefined
        ? '(unmatched)'
        : `${request.method} ${request.routeOptions.url}`;
    const n = inFlight.get(key) ?? 0;
    if (n >= opts.maxPerEndpoint) {
      request.log.warn({ endpoint: key, inFlight: n }, 'concurrency cap reached; request refused');
      await onBusy(request, reply);
      return reply;
    }
    inFlight.set(key, n + 1);
    reply.raw.once('close', () => {
      const left = (inFlight.get(key) ?? 1) - 1;
      if (left <= 0) inFlight.delete(key);
      else inFlight.set(key, left);
    });
  });
}
