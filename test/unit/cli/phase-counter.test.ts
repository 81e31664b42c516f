import { test } from 'node:test';
import assert from 'node:assert/strict';
import { phaseCounter } from '../../../src/cli/sync-cli-support.js';
import type { SyncProgress } from '../../../src/sync/index.js';

const at = (phase: SyncProgress['phase'], phaseTotal: number, fetched: number): SyncProgress => ({
  phase,
  phaseTotal,
  counters: { revisionsFetched: fetched },
});

void test('the sync bar counts within the phase: 100 categories then 9 updates end at 9/9, never 109/9', () => {
  const counter = phaseCounter();
  // The sequence the engine reports: phase start (stale total), fetch list, batches.
  const seen = [
    at('categories', 0, 0),
    at('categories', 100, 0),
    at('categories', 100, 50),
    at('categories', 100, 100),
    at('updates', 100, 100),
    at('updates', 9, 100),
    at('updates', 9, 105),
    at('updates', 9, 109),
  ].map(counter);
  for (const s of seen) assert.ok(s.value <= s.total, JSON.stringify(s));
  assert.deepEqual(seen[3], { value: 100, total: 100 });
  assert.deepEqual(seen[6], { value: 5, total: 9 });
  assert.deepEqual(seen[7], { value: 9, total: 9 });
  assert.deepEqual(counter(at('done', 9, 109)), { value: 9, total: 9 });
});
