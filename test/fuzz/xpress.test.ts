/**
 * Xpress under fuzzing (docs/protocol/upstream.md §U3). Two properties:
 * 1. round trip: every input, mutated from real SOAP answers, runs of one byte, random bytes and the spec
 *    vectors, comes back byte for byte through encoder and decoder, at several block sizes and search depths;
 * 2. hostile bodies: every mutation of a valid Xpress body either decodes within the limit or throws
 *    PB_ERR_DECOMPRESS; never another exception, never more output than the limit, never a near-hang.
 * Failing inputs are saved in test/regressions/xpress/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isAppError } from '../../src/errors.js';
import { XpressBodyEncoder, decodeXpressBody, encodeXpressBody } from '../../src/protocol/xpress/index.js';
import { createRng, fuzzIterations, fuzzLoop, fuzzSeed, type FuzzSeed } from '../helpers/fuzz.js';
import { readFixture } from '../helpers/fixtures.js';

const regressionsDir = join(import.meta.dirname, '..', 'regressions', 'xpress');

function seeds(): FuzzSeed[] {
  const rng = createRng(17);
  const random = Buffer.alloc(3000);
  for (let i = 0; i < random.length; i++) random[i] = rng.int(256);
  const lowEntropy = Buffer.alloc(20_000);
  for (let i = 0; i < lowEntropy.length; i++) lowEntropy[i] = 0x61 + rng.int(3);
  return [
    { name: 'getconfig', data: readFixture('wsus/wsus-m0-native/scan/000001/response.body') },
    {
      name: 'syncupdates',
      data: readFixture('wsus/wsus-m0-native/flow/000001/response.body').subarray(0, 40_000),
    },
    { name: 'extended-info', data: readFixture('wsus/wsus-m0-native/scan/000010/response.body') },
    { name: 'run', data: Buffer.alloc(70_000, 0x20) },
    { name: 'abc', data: Buffer.from('abc'.repeat(100)) },
    { name: 'random', data: random },
    { name: 'low-entropy', data: lowEntropy },
    { name: 'empty', data: Buffer.alloc(0) },
  ];
}

const encoders = [
  new XpressBodyEncoder(),
  new XpressBodyEncoder({ blockBytes: 65_535, maxChain: 64, niceLength: 1000, maxInsert: 1000 }),
  new XpressBodyEncoder({ blockBytes: 1500, maxChain: 1, niceLength: 3, maxInsert: 0 }),
];

const iterations = fuzzIterations(3_000);
const seed = fuzzSeed(0x5eed_0017);

void test(`Xpress round-trips ${iterations} mutated inputs (seed ${seed})`, { timeout: 10 * 60_000 }, (t) => {
  let n = 0;
  const report = fuzzLoop({
    seeds: seeds(),
    iterations,
    seed,
    mutate: { maxMutations: 8, maxLength: 140_000 },
    run: (input) => {
      const encoder = encoders[n++ % encoders.length]!;
      const body = encoder.encode(input);
      const back = decodeXpressBody(body);
      if (!back.equals(input))
        throw new Error(`round trip differs (${input.length} bytes in, ${back.length} out)`);
      return body.length < input.length ? 'smaller' : 'not-smaller';
    },
    maxIterationMs: 3000,
    failureDir: regressionsDir,
  });
  t.diagnostic(
    `${report.iterations} in ${(report.elapsedMs / 1000).toFixed(1)} s; ${JSON.stringify(report.outcomes)}`,
  );
  assert.equal(report.iterations, iterations);
});

void test(
  `Xpress decoder survives ${iterations} mutated bodies (seed ${seed})`,
  { timeout: 10 * 60_000 },
  (t) => {
    const bodies = seeds().map((s) => ({ name: `${s.name}.xpress`, data: encodeXpressBody(s.data) }));
    const maxDecodedBytes = 256 * 1024;
    const report = fuzzLoop({
      seeds: bodies,
      iterations,
      seed: seed + 1,
      mutate: { maxMutations: 4, headerBytes: 16 },
      run: (input) => {
        try {
          const out = decodeXpressBody(input, { maxDecodedBytes });
          if (out.length > maxDecodedBytes) throw new Error(`decoded ${out.length} bytes past the limit`);
          return 'ok';
        } catch (e) {
          if (isAppError(e) && e.code === 'PB_ERR_DECOMPRESS') return String(e.detail?.kind);
          throw e;
        }
      },
      maxIterationMs: 2000,
      failureDir: regressionsDir,
    });
    t.diagnostic(
      `${report.iterations} in ${(report.elapsedMs / 1000).toFixed(1)} s; ${JSON.stringify(report.outcomes)}`,
    );
    assert.ok((report.outcomes.ok ?? 0) > 0, 'some mutants must still decode');
    assert.ok((report.outcomes.corrupt ?? 0) > 0, 'some mutants must be refused');
  },
);
