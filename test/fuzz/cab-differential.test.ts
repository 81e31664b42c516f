/**
 * Differential fuzzing against cabextract: mutants of the fuzz seeds are read by both. Properties:
 * - both read it: identical member count and bytes;
 * - we read it: cabextract reads it too (we are never more lenient than the oracle).
 * cabextract reading what we refuse is allowed, for our documented stricter rules (src/protocol/cab/reader.ts):
 * every CFDATA header of a decoded folder must be present, stored blocks must hold cbUncomp bytes, MSZIP
 * blocks must start with "CK", inflate completely to cbUncomp and never reach before the folder start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '../../src/errors.js';
import { readCabinet } from '../../src/protocol/cab/index.js';
import { cabFuzzSeeds, regressionsDir } from '../helpers/cab-fuzz.js';
import { requireCabextract, runCabextract } from '../helpers/cabextract.js';
import { fuzzIterations, fuzzSeed, replayInput } from '../helpers/fuzz.js';

const iterations = fuzzIterations(300);
const seed = fuzzSeed(0x5eed_cab);

void test(`differential fuzz: ${iterations} mutants, ours vs cabextract (seed ${seed})`, (t) => {
  const skip = requireCabextract();
  if (skip) return t.skip(skip);
  const dir = mkdtempSync(join(tmpdir(), 'pb-cab-diff-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const seeds = cabFuzzSeeds();
  const tally: Record<string, number> = {};
  for (let i = 0; i < iterations; i++) {
    const { seedName, input } = replayInput(seeds, seed, i, { maxMutations: 2, headerBytes: 96 });
    const file = join(dir, 'mutant.cab');
    writeFileSync(file, input);
    const oracle = runCabextract(file);
    let ours: Buffer | undefined;
    let count = 0;
    try {
      const members = readCabinet(input, { search: true, maxOutputBytes: 16 * 1024 * 1024 }).members;
      count = members.length;
      ours = Buffer.concat(members.map((m) => m.data));
    } catch (e) {
      assert.ok(isAppError(e), `iteration ${i}: ${e instanceof Error ? e.message : 'non-error thrown'}`);
    }
    const where = `seed ${seed} iteration ${i} (from ${seedName})`;
    const keep = (): string => {
      const p = join(regressionsDir, `diff-${seedName.replace(/[^\w.-]/g, '_')}-s${seed}-i${i}.bin`);
      writeFileSync(p, input);
      return p;
    };
    if (ours !== undefined && !oracle.ok)
      assert.fail(`${where}: we read what cabextract refuses; saved ${keep()}`);
    if (ours !== undefined && oracle.ok) {
      if (count !== oracle.members.length || !ours.equals(oracle.data)) {
        assert.fail(`${where}: output differs from cabextract; saved ${keep()}`);
      }
    }
    const k = ours !== undefined ? 'both read' : oracle.ok ? 'only cabextract reads' : 'both refuse';
    tally[k] = (tally[k] ?? 0) + 1;
  }
  t.diagnostic(JSON.stringify(tally));
  assert.ok((tally['both read'] ?? 0) > iterations / 20, 'enough mutants must stay readable to compare');
});
