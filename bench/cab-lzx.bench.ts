/**
 * CAB decode throughput: our pure-TypeScript LZX (cabextract/large-files-cab.cab, window 2^21, 14.7 MB out)
 * and MSZIP through the reader, each beside node:zlib inflateRawSync of the same output (deflated once
 * at setup, 32 KiB blocks like MSZIP) as the same-run anchor. No target in targets.md: these figures say
 * what a sync of compressed update blobs costs (a WSUS blob is 10-70 KB).
 *
 * Run: npx tsx bench/cab-lzx.bench.ts [--quick]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { readCabinet, writeCabinet } from '../src/protocol/cab/index.js';
import { formatResult, type BenchOptions, type BenchResult } from './lib/result.js';

const fixture = (...p: string[]): Buffer =>
  readFileSync(fileURLToPath(new URL(`../test/fixtures/cab/${p.join('/')}`, import.meta.url)));

/** MB/s of `fn` producing `bytes` per call, best of `rounds`. */
function mbps(bytes: number, rounds: number, fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return bytes / 1e6 / (best / 1000);
}

function zlibAnchor(data: Buffer): () => void {
  const blocks: Buffer[] = [];
  for (let o = 0; o < data.length; o += 32768) blocks.push(deflateRawSync(data.subarray(o, o + 32768)));
  return () => {
    for (const b of blocks) inflateRawSync(b);
  };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // Quick: the real 69,570-byte WSUS blob (3 LZX blocks) decoded 50 times; full: the 14.7 MB cabinet.
  const lzxCab = opts.quick
    ? fixture('wsus', 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe-r200.cab')
    : fixture('cabextract', 'large-files-cab.cab');
  const repeat = opts.quick ? 50 : 1;
  const rounds = opts.quick ? 3 : 5;
  const decoded = readCabinet(lzxCab).members[0]!.data;
  const lzxBytes = decoded.length * repeat;
  const lzx = mbps(lzxBytes, rounds, () => {
    for (let i = 0; i < repeat; i++) readCabinet(lzxCab);
  });
  const anchorFn = zlibAnchor(decoded);
  const anchor = mbps(lzxBytes, rounds, () => {
    for (let i = 0; i < repeat; i++) anchorFn();
  });
  results.push({
    id: 'CAB1',
    name: `LZX decode (pure TypeScript), ${opts.quick ? 'WSUS blob x50' : 'large-files-cab 14.7 MB'}`,
    value: lzx,
    unit: 'MB/s',
    anchor,
    anchorName: 'node:zlib inflateRaw of the same output in 32 KiB blocks',
    ratio: lzx / anchor,
  });

  const mszipCab = writeCabinet([{ name: 'blob', data: decoded }], { compression: 'mszip' });
  const mszip = mbps(lzxBytes, rounds, () => {
    for (let i = 0; i < repeat; i++) readCabinet(mszipCab);
  });
  results.push({
    id: 'CAB2',
    name: 'MSZIP decode through the reader (checksums, dictionary per block), same output',
    value: mszip,
    unit: 'MB/s',
    anchor,
    anchorName: 'node:zlib inflateRaw of the same output in 32 KiB blocks',
    ratio: mszip / anchor,
  });
  return Promise.resolve(results);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
