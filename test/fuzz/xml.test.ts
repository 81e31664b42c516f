/**
 * Mutation fuzzer over the real SOAP bodies and update documents (R4). For each mutated input:
 * - parseXml and decodeSoapRequest return or throw an AppError — never another exception;
 * - differential check: whenever the fast path accepts, the saxes reader accepts too and builds the same tree;
 * - the slowest iteration stays far below a second (no hang).
 * CI: 100,000 iterations over seeds <= 8 KB. Manual: PATCHBAY_FUZZ_ITERATIONS=1000000 PATCHBAY_FUZZ_SEED=7
 * (all seeds, any size). A failing input is written to test/regressions/xml/ by hand (see its README) and
 * replayed by regressions.test.ts forever after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '../helpers/fixtures.js';
import { fuzzIterations, fuzzSeed } from '../helpers/fuzz.js';
import { createRng, mutateXmlTimes } from '../helpers/xml-mutations.js';
import { checkOneInput } from '../unit/xml/fuzz-check.js';

const iterations = fuzzIterations(100_000);
const seed = fuzzSeed(20261004);
/** Above the CI count, use every seed at full size (slower per iteration, more coverage). */
const manual = iterations > 100_000;
const maxSeedBytes = manual ? Infinity : 8 * 1024;

function collectSeeds(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(body|xml)$/.test(e) && statSync(p).size <= maxSeedBytes)
        out.push({ name: p, text: readFileSync(p).toString('utf8') });
    }
  };
  walk(fixturePath('wsus'));
  return out;
}

void test(`XML/SOAP mutation fuzz: ${iterations} iterations, seed ${seed}`, (t) => {
  const seeds = collectSeeds();
  assert.ok(seeds.length >= 20, `only ${seeds.length} seeds`);
  const rng = createRng(seed);
  let slowest = 0;
  let fastAccepted = 0;
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const s = rng.pick(seeds);
    const input = mutateXmlTimes(s.text, rng, 60 * 1024);
    const started = performance.now();
    try {
      if (checkOneInput(input)) fastAccepted++;
    } catch (e) {
      assert.fail(
        `iteration ${i} (seed ${seed}, from ${s.name}): ${e instanceof Error ? e.message : String(e)}\n` +
          `input (JSON): ${JSON.stringify(input).slice(0, 4000)}`,
      );
    }
    const dt = performance.now() - started;
    if (dt > slowest) slowest = dt;
  }
  const total = performance.now() - t0;
  // Reported in the test output: iterations, wall time, slowest iteration, share the fast path took.
  t.diagnostic(
    `fuzz: ${iterations} iterations in ${(total / 1000).toFixed(1)} s, slowest ${slowest.toFixed(1)} ms, fast path accepted ${fastAccepted}`,
  );
  assert.ok(slowest < 1000, `slowest iteration took ${slowest.toFixed(0)} ms`);
  assert.ok(fastAccepted > 0 && fastAccepted < iterations, 'both reader paths must be exercised');
});
