import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCabInput, regressionsDir } from '../../helpers/cab-fuzz.js';

// Inputs that once broke the reader (see test/regressions/cab/README.md) must now decode or throw an AppError.
void test('CAB regression inputs decode or fail with an AppError', (t) => {
  const files = readdirSync(regressionsDir).filter((f) => f.endsWith('.bin') || f.endsWith('.cab'));
  for (const f of files) {
    const input = readFileSync(join(regressionsDir, f));
    const start = performance.now();
    const outcome = checkCabInput(input);
    const ms = performance.now() - start;
    assert.ok(ms < 2000, `${f} took ${ms.toFixed(0)} ms`);
    t.diagnostic(`${f}: ${outcome} in ${ms.toFixed(1)} ms`);
  }
  t.diagnostic(`${files.length} regression inputs replayed`);
});
