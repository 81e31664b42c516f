/** Replays every input the fuzzer ever failed on (test/regressions/xml/, see its README). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkOneInput } from './fuzz-check.js';

const dir = fileURLToPath(new URL('../../regressions/xml/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.xml'))
  .sort();

void test('the regression folder is not empty', () => {
  assert.ok(files.length > 0);
});

for (const f of files) {
  void test(`XML regression ${f}`, () => {
    checkOneInput(readFileSync(dir + f).toString('utf8'));
  });
}
