import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCabinet } from '../../../src/protocol/cab/index.js';
import { readFixture } from '../../helpers/fixtures.js';
import { cabextractTest, requireCabextract, runCabextract } from '../../helpers/cabextract.js';
import { createRng } from '../../helpers/fuzz.js';

// The cabinets we write must pass `cabextract -t` (checksums OK) and extract to the bytes we put in.
void test('cabextract accepts and extracts the cabinets we write', (t) => {
  const skip = requireCabextract();
  if (skip) return t.skip(skip);
  const dir = mkdtempSync(join(tmpdir(), 'pb-cab-writer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rng = createRng(7);
  const random = Buffer.alloc(100_000);
  for (let i = 0; i < random.length; i++) random[i] = rng.int(256);
  const blob = readFixture('cab', 'wsus', 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe-r200.blob-utf16le');
  const cases = {
    'single-blob': [{ name: 'blob', data: blob }],
    // Incompressible data across several blocks: MSZIP blocks that deflate cannot shrink.
    'random-multi': [
      { name: 'random.bin', data: random },
      { name: 'small.txt', data: Buffer.from('hello\r\n') },
      { name: 'ünicode.txt', data: blob.subarray(0, 40_000) },
    ],
    'exact-block': [{ name: 'exact', data: blob.subarray(0, 65_536) }],
  };
  for (const [label, members] of Object.entries(cases)) {
    for (const compression of ['none', 'mszip'] as const) {
      const file = join(dir, `${label}-${compression}.cab`);
      writeFileSync(file, writeCabinet(members, { compression }));
      const tested = cabextractTest(file);
      assert.ok(tested.ok, `${label}/${compression}: ${tested.output}`);
      assert.match(tested.output, /All done, no errors/);
      const oracle = runCabextract(file);
      assert.ok(oracle.ok, oracle.stderr);
      assert.deepEqual(
        oracle.members.map((m) => [m.listedName.toString('utf8'), m.size]),
        members.map((m) => [m.name, m.data.length]),
      );
      assert.ok(
        oracle.data.equals(Buffer.concat(members.map((m) => m.data))),
        `${label}/${compression}: bytes`,
      );
    }
  }
});
