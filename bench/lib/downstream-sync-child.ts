/**
 * Child-process side of bench/tier-sync.bench.ts: one downstream server's first synchronization, alone in its
 * process so that its peak RSS is its own (not the upstream's, not the benchmark driver's). Migrates a fresh
 * SQLite database at <db path>, runs the sync engine against <upstream url> with the given product and
 * classification selected, and sends the wall time, peak RSS and counters to the parent over IPC.
 *
 * Run by the benchmark: fork(this file, [upstreamUrl, dbPath, product, classification]).
 */
import { migrateToLatest, openDatabase } from '../../src/storage/index.js';
import { runSync, UpstreamTransport } from '../../src/sync/index.js';

export interface DownstreamSyncFigures {
  readonly seconds: number;
  /** Peak resident set size of this process over its whole life, MiB (getrusage ru_maxrss). */
  readonly maxRssMiB: number;
  /** RSS before the sync started (the runtime, the loader and the code), MiB. */
  readonly baseRssMiB: number;
  readonly imported: number;
  readonly getUpdateDataCalls: number;
  readonly outcome: string;
}

const [upstreamUrl, dbPath, product, classification] = process.argv.slice(2);
if (!upstreamUrl || !dbPath || !product || !classification || !process.send) {
  console.error(
    'usage: downstream-sync-child.ts <upstream url> <db path> <product> <classification> (forked)',
  );
  process.exit(64);
}
const db = openDatabase({ driver: 'sqlite', path: dbPath });
await migrateToLatest(db);
const transport = new UpstreamTransport({ proxy: { mode: 'none' } });
const baseRssMiB = process.memoryUsage().rss / 2 ** 20;
const t0 = performance.now();
const r = await runSync(
  { db, transport },
  {
    upstreamUrl,
    nodeId: 'bench-downstream',
    defaultSelection: { products: [product], classifications: [classification], languages: ['en'] },
  },
);
const figures: DownstreamSyncFigures = {
  seconds: (performance.now() - t0) / 1000,
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  baseRssMiB,
  imported: r.counters.revisionsImported ?? 0,
  getUpdateDataCalls: r.calls['GetUpdateData'] ?? 0,
  outcome: r.outcome,
};
await transport.close();
await db.close();
process.send(figures, undefined, {}, () => process.exit(0));
