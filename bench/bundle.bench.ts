/**
 * Issue 16: air-gap bundle throughput. A connected server synchronized from the bench upstream
 * (bench/sync-import.bench.ts; SYNTHETIC Defender-shaped documents) whose first leaves each name one stored
 * file of random bytes (full: 40 x 8 MiB = 320 MiB; --quick: 6 x 4 MiB = 24 MiB), everything else without
 * files. `exportBundle --content all` writes the bundle (chunks hashed and fsynced, manifest); `importBundle`
 * into a fresh data directory checks every chunk, ingests every file through the store's verified ingest
 * (SHA-1, SHA-256, size) and imports the documents through the sync's validation into a new generation.
 * Figures: MiB/s of bundle bytes, each beside its same-run anchor, GNU tar of the same content files
 * (`tar -cf` of the source store for the export, `tar -xf` of that archive for the import; tar neither
 * hashes nor fsyncs, so it is the floor of what moving these bytes through the file system costs here).
 *
 * Run: npx tsx bench/bundle.bench.ts [--quick]
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportBundle, importBundle } from '../src/bundle/index.js';
import { FsContentStore, migrateToLatest, openDatabase } from '../src/storage/index.js';
import { runSync, UpstreamTransport } from '../src/sync/index.js';
import { syntheticDocument } from '../test/helpers/fake-upstream/real-catalog.js';
import { formatResult, type BenchOptions, type BenchResult } from './lib/result.js';
import { classification, guid, product, startBenchUpstream } from './sync-import.bench.js';

const mib = 1024 * 1024;

/** Seconds `tar args...` takes (GNU tar, run in `cwd`); throws when it fails. */
function timeTar(cwd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync('tar', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')}: ${r.stderr.toString()}`);
  return (performance.now() - t0) / 1000;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const fileCount = opts.quick ? 6 : 40;
  const fileBytes = (opts.quick ? 4 : 8) * mib;
  const leaves = opts.quick ? 200 : 2_000;
  const dir = await mkdtemp(join(tmpdir(), 'pb-bench-bundle-'));
  const payloads = Array.from({ length: fileCount }, () => randomFillSync(Buffer.alloc(fileBytes)));
  const sha1s = payloads.map((p) => createHash('sha1').update(p).digest());
  const leaf = (n: number): string =>
    syntheticDocument(guid(n), 200, {
      prerequisites: [[classification], [product]],
      ...(n <= fileCount
        ? { files: [{ name: `payload-${n}.cab`, sha1: sha1s[n - 1]!, size: fileBytes }] }
        : {}),
      title: `Synthetic bundle bench update ${n}`,
      padding: 400,
    });
  const { server } = await startBenchUpstream(leaves, leaf);
  const transport = new UpstreamTransport({ proxy: { mode: 'none' } });
  const closers: (() => Promise<unknown>)[] = [() => server.close(), () => transport.close()];
  try {
    // The connected server: synchronized, every file stored.
    const source = openDatabase({ driver: 'sqlite', path: join(dir, 'source.db') });
    closers.push(() => source.close());
    await migrateToLatest(source);
    await runSync(
      { db: source, transport },
      {
        upstreamUrl: server.serverSyncUrl,
        nodeId: 'bench',
        defaultSelection: { products: [product], classifications: [classification], languages: ['en'] },
      },
    );
    const sourceStore = await FsContentStore.open(join(dir, 'source-content'));
    closers.push(() => sourceStore.close());
    for (const [i, p] of payloads.entries())
      await sourceStore.ingest([p], { sha1: sha1s[i]!, size: p.length });
    payloads.length = 0;

    // The anchor first, so both sides start with the source files equally (un)cached.
    const tarFile = join(dir, 'content.tar');
    const tarCreate = timeTar(join(dir, 'source-content'), ['-cf', tarFile, '.']);
    await mkdir(join(dir, 'untar'));
    const tarExtract = timeTar(join(dir, 'untar'), ['-xf', tarFile]);
    await rm(join(dir, 'untar'), { recursive: true });
    await rm(tarFile);

    const bundleDir = join(dir, 'bundle');
    const t0 = performance.now();
    const exported = await exportBundle({
      db: source,
      store: sourceStore,
      to: bundleDir,
      content: 'all',
      approvals: true,
      declines: true,
      groups: true,
      rules: true,
      chunkSize: (opts.quick ? 8 : 64) * mib,
      patchbayVersion: 'bench',
    });
    const exportSeconds = (performance.now() - t0) / 1000;
    if (exported.contentFiles !== fileCount)
      throw new Error(`exported ${exported.contentFiles} files, expected ${fileCount}`);

    // The disconnected server: its own database and store, no upstream.
    const target = openDatabase({ driver: 'sqlite', path: join(dir, 'target.db') });
    closers.push(() => target.close());
    await migrateToLatest(target);
    const targetStore = await FsContentStore.open(join(dir, 'target-content'));
    closers.push(() => targetStore.close());
    const t1 = performance.now();
    const imported = await importBundle({
      db: target,
      store: targetStore,
      from: bundleDir,
      contentMode: 'all',
    });
    const importSeconds = (performance.now() - t1) / 1000;
    if (imported.contentFiles !== fileCount || imported.sync?.counters.revisionsImported !== leaves + 2)
      throw new Error(
        `imported ${imported.contentFiles} files and ${imported.sync?.counters.revisionsImported} revisions`,
      );

    const bundleMiB = exported.totalBytes / mib;
    const contentMiB = (fileCount * fileBytes) / mib;
    const what = `${leaves + 2} documents, ${fileCount} files, ${bundleMiB.toFixed(0)} MiB in ${exported.chunks} chunks`;
    const exportRate = bundleMiB / exportSeconds;
    const importRate = bundleMiB / importSeconds;
    const tarCreateRate = contentMiB / tarCreate;
    const tarExtractRate = contentMiB / tarExtract;
    return [
      {
        id: 'B1',
        name: `patchbay export MiB/s (${what})`,
        value: exportRate,
        unit: 'MiB/s',
        anchor: tarCreateRate,
        anchorName: 'tar -cf of the same files',
        ratio: exportRate / tarCreateRate,
      },
      {
        id: 'B2',
        name: `patchbay import MiB/s (${what}; every chunk and file hashed, documents validated)`,
        value: importRate,
        unit: 'MiB/s',
        anchor: tarExtractRate,
        anchorName: 'tar -xf of the same files',
        ratio: importRate / tarExtractRate,
      },
    ];
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
