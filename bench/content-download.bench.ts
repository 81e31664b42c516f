/**
 * Content download throughput: the downloader (planning rows, 4 parallel ranged-capable downloads, SHA-1 +
 * SHA-256 + size verified by the store, state rows updated) against the same files fetched by bare undici GETs
 * with 4 connections into /dev/null, from one loopback `/Content/` server (the real route over an
 * FsContentStore) in the same run. (Resume behaviour is asserted by test/integration/content-sync.)
 *
 * Run: npx tsx bench/content-download.bench.ts [--quick]
 */
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { Pool } from 'undici';
import { downloadContent } from '../src/content-sync/index.js';
import { contentRoutes } from '../src/http/content-routes.js';
import { FsContentStore, migrateToLatest, openDatabase } from '../src/storage/index.js';
import { UpstreamTransport } from '../src/sync/index.js';
import { formatResult, type BenchOptions, type BenchResult } from './lib/result.js';

const MiB = 1 << 20;

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-bench-dl-'));
  const app = Fastify({ logger: false });
  try {
    const upStore = await FsContentStore.open(join(dir, 'up'));
    const count = opts.quick ? 4 : 16;
    const size = opts.quick ? 4 * MiB : 16 * MiB;
    const files = [];
    for (let i = 0; i < count; i++) {
      const bytes = randomBytes(size);
      const f = {
        sha1: createHash('sha1').update(bytes).digest(),
        sha256: createHash('sha256').update(bytes).digest(),
        size,
      };
      await upStore.ingest([bytes], f);
      files.push(f);
    }
    await app.register(contentRoutes, { store: upStore, log: app.log });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    const origin = `http://127.0.0.1:${addr !== null && typeof addr === 'object' ? addr.port : 0}`;
    const url = (sha1: Buffer) => {
      const hex = sha1.toString('hex').toUpperCase();
      return `/Content/${hex.slice(-2)}/${hex}.cab`;
    };
    const total = count * size;

    // Anchor: bare GETs, 4 connections, bodies discarded.
    const pool = new Pool(origin, { connections: 4 });
    const t0 = process.hrtime.bigint();
    const queue = [...files];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let f = queue.shift(); f; f = queue.shift()) {
          const res = await pool.request({ path: url(f.sha1), method: 'GET' });
          for await (const _ of res.body) void _;
        }
      }),
    );
    const anchorMBs = total / MiB / (Number(process.hrtime.bigint() - t0) / 1e9);
    await pool.close();

    const db = openDatabase({ driver: 'sqlite', path: join(dir, 'pb.db') });
    await migrateToLatest(db);
    const now = Date.now();
    for (const f of files)
      await db.db
        .insertInto('files')
        .values({
          ...f,
          name: 'x.cab',
          mu_url: null,
          content_state: 'queued',
          state_changed_at: now,
          attempts: 0,
          last_error: null,
          created_at: now,
        })
        .execute();
    const store = await FsContentStore.open(join(dir, 'down'));
    const transport = new UpstreamTransport({ proxy: { mode: 'none' } });
    const t1 = process.hrtime.bigint();
    const r = await downloadContent(
      { db, store, transport },
      {
        upstreamUrl: `${origin}/ServerSyncWebService/ServerSyncWebService.asmx`,
        mode: 'all',
        concurrency: 4,
      },
    );
    const valueMBs = r.bytesDownloaded / MiB / (Number(process.hrtime.bigint() - t1) / 1e9);
    if (r.filesDownloaded !== count) throw new Error(`downloaded ${r.filesDownloaded} of ${count}`);
    await transport.close();
    await db.close();
    const results: BenchResult[] = [
      {
        id: 'CD1',
        name: `content download, ${count} x ${size / MiB} MiB, 4 parallel, verified into the store (higher is better)`,
        value: valueMBs,
        unit: 'MiB/s',
        anchor: anchorMBs,
        anchorName: 'bare undici GETs to /dev/null, 4 connections',
        ratio: valueMBs / anchorMBs,
      },
    ];
    return results;
  } finally {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
