import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readCabinet } from '../../../src/protocol/cab/index.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { requireCabextract, runCabextract } from '../../helpers/cabextract.js';

// cabextract/large-files-cab.cab: LZX window 2^21, hundreds of CFDATA blocks, one 14.7 MB member (itself a
// cabinet). Decoded with our pure-TypeScript LZX and compared byte for byte with cabextract -p.
void test('large LZX cabinet decodes identically to cabextract', (t) => {
  const skip = requireCabextract();
  if (skip) return t.skip(skip);
  const file = fixturePath('cab', 'cabextract', 'large-files-cab.cab');
  const buf = readFileSync(file);
  const t0 = performance.now();
  const { members, cabinets } = readCabinet(buf);
  const ms = performance.now() - t0;
  assert.equal(cabinets[0]!.folders[0]!.compType & 0x1f0f, 0x1503, 'LZX, window 2^21');
  assert.equal(members.length, 1);
  const m = members[0]!;
  assert.equal(m.name, 'large-files.cab');
  assert.equal(m.size, 14_689_228);
  const oracle = runCabextract(file);
  assert.ok(oracle.ok, oracle.stderr);
  assert.equal(
    createHash('sha256').update(m.data).digest('hex'),
    createHash('sha256').update(oracle.data).digest('hex'),
  );
  t.diagnostic(
    `LZX decode: ${(m.size / 1e6 / (ms / 1000)).toFixed(1)} MB/s (${ms.toFixed(0)} ms, first run incl. JIT)`,
  );
  // The member is a cabinet too: its directory must read (names only; it references absent data).
  assert.equal(m.data.readUInt32LE(0), 0x4643534d);
});
