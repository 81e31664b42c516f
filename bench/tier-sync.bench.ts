/**
 * Issue 12: the wall time and peak memory of a downstream Patchbay B's first synchronization of N revisions
 * (50,000; --quick 300) from Patchbay A acting as its upstream, over loopback HTTP.
 *
 * - A imports the N revisions from the synthetic upstream of sync-import.bench.ts (real-shaped ~1.9 KB
 *   documents with a file each). A is then started as `patchbay serve` starts it (`startPatchbay`, the
 *   composition root, upstream role mounted) over that database, in this process.
 * - Anchor, same run: A's own import of the same N revisions from the synthetic upstream, i.e. the same sync
 *   engine fed by an upstream that answers from pre-rendered memory. Value: B's import from A, whose answers
 *   come from its database (stored documents, the blob cache, anchors, the byte budget).
 * - Both imports run in a child process of their own (bench/lib/downstream-sync-child.ts), so each peak RSS
 *   is that downstream's alone; the upstream (the synthetic one, then A) runs in this process.
 *
 * Run: npx tsx bench/tier-sync.bench.ts [--quick]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { loadConfigOrThrow } from '../src/config/index.js';
import { startPatchbay } from '../src/main.js';
import { createLogger } from '../src/observability/index.js';
import { freePort } from '../test/helpers/cli.js';
import type { DownstreamSyncFigures } from './lib/downstream-sync-child.js';
import { formatResult, type BenchOptions, type BenchResult } from './lib/result.js';
import { startBenchUpstream } from './sync-import.bench.js';

const product = '8c3fcc84-7410-4a95-8b89-a166a0190486';
const classification = 'e0789628-ce08-4437-be74-2495b842f43b';
const childFile = fileURLToPath(new URL('./lib/downstream-sync-child.ts', import.meta.url));

function downstreamSync(upstreamUrl: string, dbPath: string): Promise<DownstreamSyncFigures> {
  return new Promise((resolve, reject) => {
    let figures: DownstreamSyncFigures | undefined;
    const child = fork(childFile, [upstreamUrl, dbPath, product, classification], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: DownstreamSyncFigures) => (figures = m));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (figures && code === 0) resolve(figures);
      else reject(new Error(`downstream sync child exited with ${signal ?? code}`));
    });
  });
}

const silent = createLogger({
  level: 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const count = Number(process.env.PATCHBAY_BENCH_TIER_COUNT) || (opts.quick ? 300 : 50_000);
  const dir = mkdtempSync(join(tmpdir(), 'pb-bench-tier-'));
  const expected = count + 2; // the leaves, their product and classification
  try {
    const { server } = await startBenchUpstream(count);
    let anchor: DownstreamSyncFigures;
    try {
      anchor = await downstreamSync(server.serverSyncUrl, join(dir, 'a', 'patchbay.db'));
    } finally {
      await server.close();
    }
    if (anchor.imported !== expected) throw new Error(`A imported ${anchor.imported} of ${expected}`);

    const config = await loadConfigOrThrow({
      env: {
        PATCHBAY_SERVER_DATA_DIR: join(dir, 'a'),
        PATCHBAY_SERVER_BIND: '127.0.0.1',
        PATCHBAY_SERVER_HTTP_PORT: String(await freePort()),
        PATCHBAY_ADMIN_BIND: '127.0.0.1',
        PATCHBAY_ADMIN_PORT: String(await freePort()),
        PATCHBAY_SYNC_SYNCS_PER_DAY: '0',
        PATCHBAY_CONTENT_MODE: 'none',
      },
    });
    const a = await startPatchbay(config, silent);
    let value: DownstreamSyncFigures;
    try {
      value = await downstreamSync(
        `${a.addresses.http!}/ServerSyncWebService/ServerSyncWebService.asmx`,
        join(dir, 'b', 'patchbay.db'),
      );
    } finally {
      await a.close();
    }
    if (value.imported !== expected || value.outcome !== 'succeeded')
      throw new Error(`B imported ${value.imported} of ${expected} (${value.outcome})`);

    return [
      {
        id: 'U-sync',
        name: `downstream B's first sync from Patchbay A (${count} revisions, SQLite; lower is better, ratio = anchor / value)`,
        value: value.seconds,
        unit: 's',
        anchor: anchor.seconds,
        anchorName: "A's import of the same revisions from the synthetic upstream",
        ratio: anchor.seconds / value.seconds,
      },
      {
        id: 'U-rss',
        name: `downstream B's peak RSS during that sync (lower is better, ratio = anchor / value; process base ${value.baseRssMiB.toFixed(0)} MiB)`,
        value: value.maxRssMiB,
        unit: 'MiB',
        anchor: anchor.maxRssMiB,
        anchorName: "A's peak RSS during its import",
        ratio: anchor.maxRssMiB / value.maxRssMiB,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
