import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, FuzzFailure, fuzzLoop, mutate, replayInput } from '../../helpers/fuzz.js';

const seeds = [{ name: 'abc', data: Buffer.from('MSCF hello world, a seed of some length for the mutator') }];

void test('createRng is deterministic per seed and spreads values', () => {
  const a = createRng(1);
  const b = createRng(1);
  const c = createRng(2);
  const xs = Array.from({ length: 1000 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 1000 }, () => b.next()),
  );
  assert.notDeepEqual(
    xs.slice(0, 10),
    Array.from({ length: 10 }, () => c.next()),
  );
  const buckets = new Array<number>(10).fill(0);
  const r = createRng(3);
  for (let i = 0; i < 10_000; i++) buckets[r.int(10)]!++;
  for (const n of buckets) assert.ok(n > 800 && n < 1200, `bucket ${n}`);
});

void test('mutate never modifies its input, varies its output and respects maxLength', () => {
  const input = Buffer.from(seeds[0]!.data);
  const rng = createRng(9);
  const outs = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const out = mutate(input, rng, { maxLength: 80, tokens: [Buffer.from('<!DOCTYPE')] });
    assert.ok(out.length <= 80);
    outs.add(out.toString('hex'));
  }
  assert.ok(input.equals(seeds[0]!.data));
  assert.ok(outs.size > 400, `only ${outs.size} distinct mutants`);
});

void test('fuzzLoop reports the failing seed, iteration and input, saves it, and replayInput reproduces it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-fuzz-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let failure: unknown;
  try {
    fuzzLoop({
      seeds,
      iterations: 10_000,
      seed: 5,
      failureDir: dir,
      run: (input) => {
        if (input.length < 20) throw new TypeError('short input crashes the target');
        return 'ok';
      },
    });
  } catch (e) {
    failure = e;
  }
  assert.ok(failure instanceof FuzzFailure, 'the loop must stop on the first failure');
  assert.equal(failure.seed, 5);
  assert.match(failure.message, /seed 5 iteration \d+/);
  assert.ok(failure.input.length < 20);
  const replay = replayInput(seeds, 5, failure.iteration);
  assert.ok(replay.input.equals(failure.input));
  assert.ok(readFileSync(failure.savedAs!).equals(failure.input));
});

void test('fuzzLoop counts outcomes and measures the slowest iteration', () => {
  const report = fuzzLoop({ seeds, iterations: 1000, seed: 1, run: (i) => (i.length % 2 ? 'odd' : 'even') });
  assert.equal((report.outcomes.odd ?? 0) + (report.outcomes.even ?? 0), 1000);
  assert.ok(report.slowestMs >= 0 && report.slowest.iteration >= 0);
});
