/**
 * Mutation fuzzing of the CAB reader over real cabinets. Property: every input either decodes (members
 * within the output cap, data lengths as declared) or throws an AppError; never another exception, never
 * an iteration slower than the limit. CI runs 100,000 iterations with a fixed seed; set
 * PATCHBAY_FUZZ_ITERATIONS / PATCHBAY_FUZZ_SEED for longer or different runs. Failing inputs are saved in
 * test/regressions/cab/ and replayed by regressions.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cabFuzzSeeds, checkCabInput, regressionsDir } from '../helpers/cab-fuzz.js';
import { fuzzIterations, fuzzLoop, fuzzSeed } from '../helpers/fuzz.js';

const iterations = fuzzIterations(100_000);
const seed = fuzzSeed(0x5eed_cab);
void test(
  `CAB reader survives ${iterations} mutated cabinets (seed ${seed})`,
  { timeout: 10 * 60_000 },
  (t) => {
    const report = fuzzLoop({
      seeds: cabFuzzSeeds(),
      iterations,
      seed,
      mutate: { maxMutations: 4, headerBytes: 96, tokens: [Buffer.from('MSCF'), Buffer.from('CK')] },
      run: checkCabInput,
      maxIterationMs: 3000,
      failureDir: regressionsDir,
    });
    t.diagnostic(
      `${report.iterations} iterations in ${(report.elapsedMs / 1000).toFixed(1)} s; slowest ${report.slowestMs.toFixed(1)} ms (${report.slowest.seedName} #${report.slowest.iteration}); outcomes ${JSON.stringify(report.outcomes)}`,
    );
    assert.equal(report.iterations, iterations);
    assert.ok((report.outcomes.ok ?? 0) > 0, 'some mutants must still decode');
  },
);
