/** The CAB fuzz property and seeds, shared by the fuzz test and the regression replay. */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { isAppError } from '../../src/errors.js';
import { findCabinets, readCabinet, writeCabinet } from '../../src/protocol/cab/index.js';
import { readFixture } from './fixtures.js';
import type { FuzzSeed } from './fuzz.js';

/** Small cap so mutated size fields are refused quickly; the real seeds need at most 69,570 bytes. */
export const fuzzMaxOutput = 1024 * 1024;
export const regressionsDir = fileURLToPath(new URL('../regressions/cab/', import.meta.url));

export function cabFuzzSeeds(): FuzzSeed[] {
  const fx = (...p: string[]): FuzzSeed => ({ name: p.join('_'), data: readFixture('cab', ...p) });
  const doc = readFixture('cab', 'wsus', '56309036-4c77-4dd9-951a-99ee9c246a94-r101.blob-utf16le');
  const seeds: FuzzSeed[] = [
    fx('wsus', '56309036-4c77-4dd9-951a-99ee9c246a94-r101.cab'),
    fx('wsus', 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe-r200.cab'),
    fx('node-cabarc', 'lzx-15.cab'),
    fx('node-cabarc', 'lzx-21.cab'),
    fx('node-cabarc', 'mszip.cab'),
    fx('node-cabarc', 'none.cab'),
    fx('libmspack', 'normal_2files_2folders.cab'),
    fx('libmspack', 'reserve_HFD.cab'),
    fx('libmspack', 'search_basic.cab'),
    fx('libmspack', 'multi_basic_pt2.cab'),
    fx('cabextract', 'simple.cab'),
    { name: 'written-mszip.cab', data: writeCabinet([{ name: 'blob', data: doc }]) },
  ];
  return [...seeds, ...seeds.map((s) => ({ name: `nocsum-${s.name}`, data: withoutChecksums(s.data) }))];
}

/** One fuzz iteration's property; returns the outcome label. */
export function checkCabInput(input: Buffer): string {
  let outcome = '';
  for (const search of [false, true]) {
    let label: string;
    try {
      const { members } = readCabinet(input, { maxOutputBytes: fuzzMaxOutput, search });
      let total = 0;
      for (const m of members) {
        assert.equal(m.data.length, m.size);
        total += m.size;
      }
      assert.ok(total <= fuzzMaxOutput, `output ${total} above the cap`);
      label = 'ok';
    } catch (e) {
      if (!isAppError(e)) throw e;
      label = e.code;
    }
    if (!search) outcome = label;
  }
  return outcome;
}

/**
 * The same cabinet with every CFDATA checksum set to 0 ("not set"), so mutations of compressed data reach
 * the MSZIP and LZX decoders instead of stopping at the checksum.
 */
export function withoutChecksums(cab: Uint8Array): Buffer {
  const out = Buffer.from(cab);
  for (const dir of findCabinets(out)) {
    for (const f of dir.folders) {
      let pos = f.dataOffset;
      for (let b = 0; b < f.numBlocks && pos + 8 <= out.length; b++) {
        out.writeUInt32LE(0, pos);
        pos += 8 + dir.dataReserveSize + out.readUInt16LE(pos + 4);
      }
    }
  }
  return out;
}
