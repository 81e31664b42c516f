import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCabinet } from '../../../src/protocol/cab/index.js';
import { checkCabInput, regressionsDir } from '../../helpers/cab-fuzz.js';
import { requireCabextract, runCabextract } from '../../helpers/cabextract.js';

/**
 * Inputs that once broke a property (see test/regressions/cab/README.md) must now decode or throw an
 * AppError, quickly; and, against cabextract, we must never read what it refuses, and must read what we
 * both read identically.
 */
void test('CAB regression inputs', (t) => {
  const skip = requireCabextract();
  const dir = mkdtempSync(join(tmpdir(), 'pb-cab-regress-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = readdirSync(regressionsDir).filter((f) => f.endsWith('.bin'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const input = readFileSync(join(regressionsDir, f));
    const start = performance.now();
    const outcome = checkCabInput(input);
    const ms = performance.now() - start;
    assert.ok(ms < 3000, `${f} took ${ms.toFixed(0)} ms`);
    t.diagnostic(`${f}: ${outcome} in ${ms.toFixed(1)} ms`);
    if (skip) continue;
    const file = join(dir, 'input.cab');
    writeFileSync(file, input);
    const oracle = runCabextract(file);
    let ours: Buffer | undefined;
    try {
      ours = Buffer.concat(readCabinet(input, { search: true }).members.map((m) => m.data));
    } catch {
      ours = undefined;
    }
    if (ours !== undefined) {
      assert.ok(oracle.ok, `${f}: we read what cabextract refuses`);
      assert.ok(ours.equals(oracle.data), `${f}: output differs from cabextract`);
    }
  }
});
