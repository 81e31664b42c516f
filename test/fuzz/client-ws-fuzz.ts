import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAppError } from '../../src/errors.js';
import {
  decodeGetAuthorizationCookieRequest,
  decodeGetConfigRequest,
  decodeGetCookieRequest,
  decodeGetExtendedUpdateInfoRequest,
  decodeGetFileLocationsRequest,
  decodeRefreshCacheRequest,
  decodeRegisterComputerRequest,
  decodeStartCategoryScanRequest,
  decodeSyncPrinterCatalogRequest,
  decodeSyncUpdatesRequest,
} from '../../src/protocol/client-ws/index.js';
import { decodeReportEventBatchRequest } from '../../src/protocol/reporting/index.js';
import { decodeSoapEnvelope } from '../../src/protocol/soap/index.js';
import type { XmlElement } from '../../src/protocol/xml/index.js';
import { fuzzIterations, fuzzLoop, fuzzSeed, type FuzzSeed } from '../helpers/fuzz.js';
import { requestBytes } from '../unit/client-ws/support.js';

/**
 * Mutation fuzz of every operation decoder, seeded from the real request bodies (plus synthetic bodies for the
 * operations no capture holds). Property: decoding a mutated envelope either succeeds or throws an AppError —
 * never a TypeError/RangeError, never a hang. Iterations per operation: PATCHBAY_FUZZ_ITERATIONS
 * (default 100,000, the letter), seed PATCHBAY_FUZZ_SEED (test/helpers/fuzz.ts: the one knob). The operations are split over
 * two test files (client-ws-sync-updates.test.ts: SyncUpdates, the largest bodies; client-ws-operations.test.ts: the rest) so the test
 * runner works on them in parallel.
 *
 * Speed: a 23-51 KB SyncUpdates body costs ~1 ms to decode, so 100,000 of them alone would take minutes.
 * Each real body is also used trimmed (its id lists cut to their first few entries; every element, order
 * and namespace kept), and the full-size bodies stay in the seed set, so mutations still hit the real
 * shapes while most iterations decode a few KB.
 */
const iterations = fuzzIterations(100_000);
const seed = fuzzSeed(0x5eed);

export const decoders: Record<string, (op: XmlElement) => unknown> = {
  GetConfig: decodeGetConfigRequest,
  GetAuthorizationCookie: decodeGetAuthorizationCookieRequest,
  GetCookie: decodeGetCookieRequest,
  RegisterComputer: decodeRegisterComputerRequest,
  StartCategoryScan: decodeStartCategoryScanRequest,
  SyncUpdates: decodeSyncUpdatesRequest,
  SyncPrinterCatalog: decodeSyncPrinterCatalogRequest,
  RefreshCache: decodeRefreshCacheRequest,
  GetExtendedUpdateInfo: decodeGetExtendedUpdateInfoRequest,
  GetFileLocations: decodeGetFileLocationsRequest,
  ReportEventBatch: decodeReportEventBatchRequest,
};

const ns = 'http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService';
const cookie =
  '<cookie><Expiration>2026-10-04T16:03:35.9967236Z</Expiration><EncryptedData>AAAAAAAAAAAAAAAAAAAAAAAAAAAA</EncryptedData></cookie>';
const envelope = (inner: string): Buffer =>
  Buffer.from(
    `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${inner}</s:Body></s:Envelope>`,
  );
const synthetic: Record<string, Buffer> = {
  StartCategoryScan: envelope(
    `<StartCategoryScan xmlns="${ns}"><requestedCategories><CategoryRelationship><IndexOfAndGroup>0</IndexOfAndGroup><CategoryId>dd78b8a1-0b20-45c1-add6-4da72e9364cf</CategoryId></CategoryRelationship></requestedCategories></StartCategoryScan>`,
  ),
  SyncPrinterCatalog: envelope(
    `<SyncPrinterCatalog xmlns="${ns}">${cookie}<installedNonLeafUpdateIDs><int>108226</int></installedNonLeafUpdateIDs><printerUpdateIDs><int>5</int></printerUpdateIDs></SyncPrinterCatalog>`,
  ),
  RefreshCache: envelope(
    `<RefreshCache xmlns="${ns}">${cookie}<globalIDs><UpdateIdentity><UpdateID>a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe</UpdateID><RevisionNumber>200</RevisionNumber></UpdateIdentity></globalIDs></RefreshCache>`,
  ),
  GetFileLocations: envelope(
    `<GetFileLocations xmlns="${ns}">${cookie}<fileDigests><base64Binary>${Buffer.alloc(20, 1).toString('base64')}</base64Binary></fileDigests></GetFileLocations>`,
  ),
};

const captured: Record<string, string[]> = {
  GetConfig: ['wsus-m0-native/scan/000001', 'wsus-m0/000001'],
  GetAuthorizationCookie: ['wsus-m0-native/scan/000002', 'wsus-m0/000002'],
  GetCookie: ['wsus-m0-native/scan/000003', 'wsus-m0/000003'],
  RegisterComputer: ['wsus-m0-native/scan/000004', 'wsus-m0/000004'],
  // The 23-51 KB bodies are the realistic ones; mutations keep most of them intact, so they are few per run.
  SyncUpdates: [
    'wsus-m0-native/scan/000006',
    'wsus-m0-native/scan/000008',
    'wsus-m0-native/scan/000009',
    'wsus-m0-native/flow/000001',
    'wsus-m0/000005',
  ],
  GetExtendedUpdateInfo: ['wsus-m0-native/scan/000010'],
  ReportEventBatch: ['wsus-m0-native/flow/000016', 'wsus-m0-native/flow/000018'],
};

const tokens = [
  '<int>-1</int>',
  '<int>2147483648</int>',
  '<int>0</int>',
  '<guid>zz</guid>',
  '<string>x</string>',
  'xsi:nil="true"',
  ' xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" soapenc:arrayType="xsd:int[99999999]"',
  '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
  '&#0;',
  '&amp;',
  ']]>',
  'true',
  '-2147483649',
  '====',
].map((t) => Buffer.from(t));

/** The body with every run of more than `keep` consecutive `<int>` items cut to its first `keep`. */
export function trimIdLists(body: Buffer, keep = 8): Buffer {
  const run = new RegExp(`((?:<int>[^<]*</int>){${keep}})(?:<int>[^<]*</int>)+`, 'g');
  return Buffer.from(body.toString('utf8').replace(run, '$1'));
}

export function seedsFor(name: string): FuzzSeed[] {
  const real = captured[name];
  if (real === undefined) return [{ name, data: synthetic[name]! }];
  const seeds: FuzzSeed[] = [];
  for (const ex of real) {
    const data = requestBytes(ex);
    const trimmed = trimIdLists(data);
    const id = ex.replace(/\//g, '_');
    // Trimmed copies weigh more (three entries) than the full body (one) when it differs.
    if (trimmed.length < data.length)
      for (let k = 0; k < 3; k++) seeds.push({ name: `${id}-trimmed`, data: trimmed });
    seeds.push({ name: id, data });
  }
  return seeds;
}

export function fuzzOperations(names: readonly string[]): void {
  for (const name of names) {
    void test(`fuzz ${name}: ${iterations} mutations of real bodies only ever throw AppError`, () => {
      const seeds = seedsFor(name);
      const report = fuzzLoop({
        seeds,
        iterations,
        seed,
        mutate: { tokens, maxMutations: 3 },
        maxIterationMs: 2000,
        run: (input) => {
          try {
            const env = decodeSoapEnvelope(input);
            const decode = decoders[env.payload.local];
            if (!decode) return 'other-operation';
            decode(env.payload);
            return 'decoded';
          } catch (e) {
            if (isAppError(e)) return e.code;
            throw e;
          }
        },
      });
      assert.equal(report.iterations, iterations);
      // The fuzzer must exercise both paths, or it tests nothing.
      assert.ok((report.outcomes['decoded'] ?? 0) > 0, JSON.stringify(report.outcomes));
      assert.ok(Object.keys(report.outcomes).length > 1, JSON.stringify(report.outcomes));
    });
  }
}
