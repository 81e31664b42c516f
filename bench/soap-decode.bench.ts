/**
 * P3: client request decode <= 0.5 ms per 20 KB (targets.md). Decodes a real-shaped SyncUpdates request
 * (the recorded wsus-m0/000070 request — a real cookie and real cached revision ids — cut to ~1,300 ids,
 * ~21 KB) through the full path a request takes: Content-Type + SOAPAction, envelope, dispatch by body
 * element, and the id arrays read into Int32Arrays. The anchor is raw saxes (xmlns on, an empty opentag
 * handler) over the same bytes in the same run (bytes -> string included in both).
 *
 * Run: npx tsx bench/soap-decode.bench.ts [--quick]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SaxesParser } from 'saxes';
import {
  decodeSoapRequest,
  readInt32Array,
  readOptional,
  parseBoolean,
  SoapOperationRegistry,
  wsusNamespaces,
} from '../src/protocol/soap/index.js';
import { requireChild } from '../src/protocol/xml/index.js';
import { formatResult, type BenchOptions, type BenchResult } from './lib/result.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/wsus/', import.meta.url));
const ns = wsusNamespaces.clientWebService;
const action = `"${ns}/SyncUpdates"`;
const contentType = 'text/xml; charset=utf-8';

/** The recorded 32 KB request with its OtherCachedUpdateIDs cut so that the request holds `totalIds` ids. */
export function buildSyncUpdatesRequest(totalIds: number): Buffer {
  const src = readFileSync(`${fixtures}wsus-m0/000070/request.body`, 'utf8');
  const installed = /<InstalledNonLeafUpdateIDs>(.*?)<\/InstalledNonLeafUpdateIDs>/s.exec(src)![1]!;
  const other = /<OtherCachedUpdateIDs>(.*?)<\/OtherCachedUpdateIDs>/s.exec(src)![1]!;
  const installedCount = installed.split('<int>').length - 1;
  const otherItems = other.match(/<int>[0-9]+<\/int>/g)!;
  const keep = otherItems.slice(0, Math.max(0, totalIds - installedCount)).join('');
  return Buffer.from(src.replace(other, keep), 'utf8');
}

const registry = new SoapOperationRegistry<string>().register(ns, 'SyncUpdates', 'SyncUpdates');

/** The full decode: what the SyncUpdates route does before any business logic. */
function decode(body: Buffer): number {
  const req = decodeSoapRequest({ body, contentType, soapAction: action });
  registry.resolve(req);
  const params = requireChild(req.payload, ns, 'parameters', 'parameters');
  const max = { maxLength: 100_000 };
  const installed = readInt32Array(
    params,
    ns,
    'InstalledNonLeafUpdateIDs',
    'parameters.InstalledNonLeafUpdateIDs',
    max,
  );
  const other = readInt32Array(params, ns, 'OtherCachedUpdateIDs', 'parameters.OtherCachedUpdateIDs', max);
  const express = readOptional(params, ns, 'ExpressQuery', 'parameters.ExpressQuery', parseBoolean);
  return (installed?.length ?? 0) + (other?.length ?? 0) + (express ? 1 : 0);
}

function saxesAnchor(body: Buffer): number {
  let n = 0;
  const p = new SaxesParser({ xmlns: true, position: false });
  p.on('opentag', () => {
    n++;
  });
  p.write(body.toString('utf8')).close();
  return n;
}

function batchMs(fn: () => number, batch: number): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) sink += fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / batch;
  if (sink === -1) console.log(sink); // keep the work observable
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Median ms per call of `fn` and of `anchor`, measured in alternating batches so both see the same load on
 * a shared machine; the ratio is the median of the per-round ratios (more stable than either time).
 */
function timePair(
  fn: () => number,
  anchor: () => number,
  batch: number,
  rounds: number,
): { value: number; anchor: number; ratio: number } {
  batchMs(fn, batch);
  batchMs(anchor, batch); // warm-up
  const a: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const x = batchMs(fn, batch);
    const y = batchMs(anchor, batch);
    a.push(x);
    b.push(y);
    r.push(x / y);
  }
  return { value: median(a), anchor: median(b), ratio: median(r) };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const batch = opts.quick ? 20 : 200;
  const rounds = opts.quick ? 5 : 31;
  const results: BenchResult[] = [];
  const cases: { id: string; label: string; body: Buffer }[] = [
    { id: 'P3', label: 'SyncUpdates ~1,300 cached ids', body: buildSyncUpdatesRequest(1300) },
    {
      id: 'P3b',
      label: 'native SyncUpdates (wsus-m0-native/flow/000001, as recorded)',
      body: readFileSync(`${fixtures}wsus-m0-native/flow/000001/request.body`),
    },
  ];
  for (const c of cases) {
    const per20k = (20 * 1024) / c.body.length;
    const m = timePair(
      () => decode(c.body),
      () => saxesAnchor(c.body),
      batch,
      rounds,
    );
    const decodeMs = m.value * per20k;
    results.push({
      id: c.id,
      name: `SOAP request decode per 20 KB, ${c.label}, ${(c.body.length / 1024).toFixed(1)} KB (ratio = decode / saxes, lower is better)`,
      value: decodeMs,
      unit: 'ms',
      anchor: m.anchor * per20k,
      anchorName: 'raw saxes, empty opentag handler',
      ratio: m.ratio,
      target: '<= 0.5 ms per 20 KB',
      pass: decodeMs <= 0.5,
    });
  }
  await Promise.resolve();
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
