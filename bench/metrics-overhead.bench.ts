/**
 * Issue 16: what /metrics costs the SyncUpdates path. One served SYNTHETIC catalog (bench/sync-updates.bench.ts's
 * setup), two client servers over the same client web service in the same process: one without metrics (the
 * anchor), one that counts every SOAP call into the Prometheus registry (`[metrics] enabled`, what `serve` runs)
 * while the registry is scraped every second in the same process, as Prometheus scraping the admin port does
 * (prom-client's collection plus the database figures behind `[metrics] cache_seconds`, at its default 10 s).
 * The mean and worst scrape times are printed too: a scrape runs on the serving event loop. Rounds alternate (anchor, metrics, anchor, metrics) so load drifts
 * on this shared machine hit both alike. Target: >= 0.97x.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Pool } from 'undici';
import { loadConfigOrThrow } from '../src/config/index.js';
import { buildClientServer } from '../src/http/index.js';
import { createLogger, PatchbayMetrics } from '../src/observability/index.js';
import { storageScrapeSource } from '../src/operations/index.js';
import { FsContentStore } from '../src/storage/index.js';
import type { BenchResult } from './lib/result.js';
import { closedLoop, prepareSyncBench } from './sync-updates.bench.js';

const silent = createLogger({
  level: 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

export async function run(opts: { quick: boolean }): Promise<BenchResult[]> {
  const setup = await prepareSyncBench({
    revisions: opts.quick ? 5_000 : 100_000,
    approvals: opts.quick ? 1_000 : 5_000,
  });
  try {
    // The default `[metrics] cache_seconds` (10 s), as `serve` runs it: the database figures are read at most
    // every 10 s however often Prometheus scrapes.
    const metrics = new PatchbayMetrics({ cacheMs: 10_000 });
    metrics.setScrapeSource(storageScrapeSource(setup.handle, join(setup.dir, 'content')));
    const store = await FsContentStore.open(join(setup.dir, 'content'));
    const app = await buildClientServer({
      config: await loadConfigOrThrow({ env: { PATCHBAY_SERVER_DATA_DIR: setup.dir } }),
      logger: silent,
      readiness: [],
      clientService: setup.service,
      contentStore: store,
      metrics,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    setup.closers.push(() => app.close());
    const pool = new Pool(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, {
      connections: 8,
    });
    setup.closers.push(() => pool.close());

    let scrapes = 0;
    let scrapeBytes = 0;
    let scrapeMs = 0;
    let worstScrapeMs = 0;
    let scraping = false;
    const timer = setInterval(() => {
      if (!scraping) return;
      const t0 = performance.now();
      void metrics.registry.metrics().then((text) => {
        const ms = performance.now() - t0;
        scrapes++;
        scrapeMs += ms;
        worstScrapeMs = Math.max(worstScrapeMs, ms);
        scrapeBytes = text.length;
      });
    }, 1000);
    try {
      const seconds = opts.quick ? 2 : 6;
      const rounds = opts.quick ? 1 : 3;
      await closedLoop(setup.pool, setup.syncBody, 8, 500);
      await closedLoop(pool, setup.syncBody, 8, 500);
      let plain = 0;
      let withMetrics = 0;
      for (let i = 0; i < rounds; i++) {
        plain += (await closedLoop(setup.pool, setup.syncBody, 8, seconds * 1000)).perSecond;
        scraping = true;
        withMetrics += (await closedLoop(pool, setup.syncBody, 8, seconds * 1000)).perSecond;
        scraping = false;
      }
      plain /= rounds;
      withMetrics /= rounds;
      const ratio = withMetrics / plain;
      return [
        {
          id: 'M1',
          name:
            `SyncUpdates pages/s with metrics, scraped every second (${scrapes} scrapes of ${scrapeBytes} bytes, ` +
            `mean ${(scrapeMs / Math.max(1, scrapes)).toFixed(1)} ms, worst ${worstScrapeMs.toFixed(0)} ms)`,
          value: withMetrics,
          unit: 'pages/s',
          anchor: plain,
          anchorName: 'same server without metrics',
          ratio,
          target: '>= 0.97x',
          pass: ratio >= 0.97,
        },
      ];
    } finally {
      clearInterval(timer);
      await store.close();
    }
  } finally {
    await setup.close();
  }
}
