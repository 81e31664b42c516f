/**
 * Liveness and readiness, on every port. `/healthz` answers while the process serves HTTP at all;
 * `/readyz` also proves the dependencies work (database reachable), so a load balancer stops sending
 * clients to a node that cannot answer them. Probes are frequent: logged at warn only, exempt from the
 * concurrency cap, and bounded in time so a hung database never hangs the probe.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../observability/index.js';

/** A named dependency check; throws (or rejects) when the dependency is not usable. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface HealthRoutesOptions {
  readiness: readonly ReadinessCheck[];
  logger: Logger;
  /** Upper bound for one readiness check. */
  checkTimeoutMs?: number;
}

export const healthRouteConfig = { concurrencyExempt: true } as const;

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function registerHealthRoutes(app: FastifyInstance, opts: HealthRoutesOptions): void {
  const timeoutMs = opts.checkTimeoutMs ?? 2000;
  app.get('/healthz', { logLevel: 'warn', config: healthRouteConfig }, async (_req, reply) => {
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });
  app.get('/readyz', { logLevel: 'warn', config: healthRouteConfig }, async (_req, reply) => {
    const checks: Record<string, 'ok' | 'failed'> = {};
    let ready = true;
    await Promise.all(
      opts.readiness.map(async (c) => {
        try {
          await withTimeout(c.check(), timeoutMs);
          checks[c.name] = 'ok';
        } catch (err) {
          ready = false;
          checks[c.name] = 'failed';
          // The reason goes to the log, not to the (possibly public) probe response.
          opts.logger.warn({ err, check: c.name }, 'readiness check failed');
        }
      }),
    );
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ready ? 'ok' : 'unavailable', checks });
  });
}
