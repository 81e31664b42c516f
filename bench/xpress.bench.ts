/**
 * Xpress on the wire (issue 17 item 1): in one run, over real HTTP against the same server and catalog as
 * sync-updates.bench.ts (prepareSyncBench), SyncUpdates pages/s for a client offering `Accept-Encoding: xpress`
 * beside the same client asking for identity (target >= 0.6x), and the bytes on the wire per page (target
 * <= 0.25x). Every client of the fleet at the same state gets the same page but for its cookie, so the
 * server's block cache (src/http/xpress-answer.ts) is what this measures in steady state; the cold figure
 * (no cache: every page compressed from scratch) is printed beside it. Codec speed: encoder MiB/s beside
 * zlib deflate level 1 on the same page, decoder MiB/s beside zlib inflate of that deflate output.
 */
import { fileURLToPath } from 'node:url';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Pool } from 'undici';
import { XpressBodyEncoder, decodeXpressBody, encodeXpressBody } from '../src/protocol/xpress/index.js';
import { formatResult, type BenchResult } from './lib/result.js';
import { prepareSyncBench } from './sync-updates.bench.js';

const clientNs = 'http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService';

async function closedLoop(pool: Pool, body: string, acceptEncoding: string, connections: number, ms: number) {
  let pages = 0;
  let wireBytes = 0;
  let errors = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const r = await pool.request({
          path: '/ClientWebService/client.asmx',
          method: 'POST',
          body,
          headers: {
            'content-type': 'text/xml; charset=utf-8',
            soapaction: `"${clientNs}/SyncUpdates"`,
            'accept-encoding': acceptEncoding,
          },
        });
        const bytes = Buffer.from(await r.body.arrayBuffer());
        const expected = acceptEncoding === 'xpress' ? 'xpress' : undefined;
        if (r.statusCode !== 200 || r.headers['content-encoding'] !== expected) errors++;
        pages++;
        wireBytes += bytes.length;
      }
    }),
  );
  return { perSecond: (pages / ms) * 1000, bytesPerPage: wireBytes / Math.max(1, pages), errors };
}

/** MiB/s of `fn` over `bytes` input bytes per call, for at least `ms`. */
function throughput(bytes: number, ms: number, fn: () => unknown): number {
  for (let i = 0; i < 5; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    fn();
    n++;
  }
  return (bytes * n) / (1024 * 1024) / ((performance.now() - t0) / 1000);
}

export async function run(opts: { quick: boolean }): Promise<BenchResult[]> {
  const setup = await prepareSyncBench({
    revisions: opts.quick ? 3_000 : 50_000,
    approvals: opts.quick ? 500 : 3_000,
  });
  const ms = opts.quick ? 1_000 : 6_000;
  const connections = 4;
  try {
    const { pool, syncBody } = setup;
    // Warm both paths (JIT, the block cache), then measure identity, xpress, identity again and average the
    // two identity runs, so a drift of the shared machine does not favour either side.
    await closedLoop(pool, syncBody, 'identity', connections, ms / 4);
    await closedLoop(pool, syncBody, 'xpress', connections, ms / 4);
    const id1 = await closedLoop(pool, syncBody, 'identity', connections, ms);
    const xp = await closedLoop(pool, syncBody, 'xpress', connections, ms);
    const id2 = await closedLoop(pool, syncBody, 'identity', connections, ms);
    const identityRate = (id1.perSecond + id2.perSecond) / 2;
    const identityBytes = id1.bytesPerPage;
    if (id1.errors + xp.errors + id2.errors > 0)
      throw new Error(`errors: identity ${id1.errors + id2.errors}, xpress ${xp.errors}`);

    // Cold: the same page compressed from scratch every time (no cache), in process.
    const page = setup.firstPage;
    const cold = new XpressBodyEncoder();
    const encodeMiBs = throughput(page.length, opts.quick ? 300 : 2_000, () => cold.encode(page));
    const wire = encodeXpressBody(page);
    const decodeMiBs = throughput(page.length, opts.quick ? 300 : 2_000, () => decodeXpressBody(wire));
    const deflated = deflateRawSync(page, { level: 1 });
    const deflateMiBs = throughput(page.length, opts.quick ? 300 : 2_000, () =>
      deflateRawSync(page, { level: 1 }),
    );
    const inflateMiBs = throughput(page.length, opts.quick ? 300 : 2_000, () => inflateRawSync(deflated));
    const coldPageMs = page.length / (encodeMiBs * 1024 * 1024) / 1e-3;

    const rate: BenchResult = {
      id: 'X1',
      name: `SyncUpdates pages/s, Xpress (block cache warm; ${(page.length / 1024).toFixed(0)} KiB pages, ${connections} connections)`,
      value: xp.perSecond,
      unit: 'pages/s',
      anchor: identityRate,
      anchorName: 'the same requests, identity',
      ratio: xp.perSecond / identityRate,
      target: '>= 0.6x',
      pass: xp.perSecond / identityRate >= 0.6,
    };
    const bytes: BenchResult = {
      id: 'X2',
      name: 'bytes on the wire per SyncUpdates page, Xpress (value/anchor, lower is better)',
      value: xp.bytesPerPage,
      unit: 'B',
      anchor: identityBytes,
      anchorName: 'identity',
      ratio: xp.bytesPerPage / identityBytes,
      target: '<= 0.25x',
      pass: xp.bytesPerPage / identityBytes <= 0.25,
    };
    const enc: BenchResult = {
      id: 'X3',
      name: `Xpress encoder MiB/s, cold (no cache; ${coldPageMs.toFixed(1)} ms per page, ratio ${(wire.length / page.length).toFixed(3)})`,
      value: encodeMiBs,
      unit: 'MiB/s',
      anchor: deflateMiBs,
      anchorName: `zlib deflate level 1, ratio ${(deflated.length / page.length).toFixed(3)}`,
      ratio: encodeMiBs / deflateMiBs,
    };
    const dec: BenchResult = {
      id: 'X4',
      name: 'Xpress decoder MiB/s (output bytes)',
      value: decodeMiBs,
      unit: 'MiB/s',
      anchor: inflateMiBs,
      anchorName: 'zlib inflate of the level-1 output',
      ratio: decodeMiBs / inflateMiBs,
    };
    return [rate, bytes, enc, dec];
  } finally {
    await setup.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
