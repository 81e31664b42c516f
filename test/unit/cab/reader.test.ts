import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAppError } from '../../../src/errors.js';
import {
  cabChecksum,
  extractSingleMember,
  readCabinet,
  readCabinetDirectory,
  writeCabinet,
} from '../../../src/protocol/cab/index.js';
import { readFixture } from '../../helpers/fixtures.js';

const wsus = [
  '56309036-4c77-4dd9-951a-99ee9c246a94-r101',
  'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe-r200',
] as const;

function code(e: unknown): string {
  return isAppError(e) ? e.code : `not an AppError: ${String(e)}`;
}

for (const id of wsus) {
  void test(`WSUS blob ${id} decodes byte-identically (LZX 2^21)`, () => {
    const cab = readFixture('cab', 'wsus', `${id}.cab`);
    const expected = readFixture('cab', 'wsus', `${id}.blob-utf16le`);
    const dir = readCabinetDirectory(cab);
    assert.equal(dir.versionMajor, 1);
    assert.equal(dir.versionMinor, 3);
    assert.equal(dir.folders.length, 1);
    assert.equal(dir.folders[0]!.compType, 0x1503);
    const blob = extractSingleMember(cab, { expectedName: 'blob' });
    assert.ok(blob.equals(expected), 'blob differs from cabextract output');
    // The document is UTF-16LE without BOM: it starts with "<".
    assert.equal(blob.toString('utf16le', 0, 2), '<');
  });
}

void test('extractSingleMember refuses a cabinet with several members or the wrong name', () => {
  const two = readFixture('cab', 'libmspack', 'normal_2files_1folder.cab');
  assert.throws(
    () => extractSingleMember(two),
    (e: unknown) => code(e) === 'PB_ERR_CAB_MALFORMED',
  );
  const cab = readFixture('cab', 'wsus', `${wsus[0]}.cab`);
  assert.throws(
    () => extractSingleMember(cab, { expectedName: 'other' }),
    (e: unknown) => code(e) === 'PB_ERR_CAB_MALFORMED',
  );
});

void test('a corrupted CFDATA payload is a checksum error; checksum 0 means "not set"', () => {
  const cab = Buffer.from(readFixture('cab', 'wsus', `${wsus[0]}.cab`));
  const dir = readCabinetDirectory(cab);
  const blockAt = dir.folders[0]!.dataOffset;
  assert.notEqual(cab.readUInt32LE(blockAt), 0, 'the real cabinet carries checksums');
  const bad = Buffer.from(cab);
  bad[blockAt + 8 + 10]! ^= 0x01;
  assert.throws(
    () => readCabinet(bad),
    (e: unknown) => code(e) === 'PB_ERR_CAB_CHECKSUM',
  );
  // With the checksum cleared the flipped bit reaches the LZX decoder: either garbage-but-bounded output
  // or a malformed error, never anything else.
  bad.writeUInt32LE(0, blockAt);
  try {
    const m = readCabinet(bad).members[0]!;
    assert.equal(m.size, 9834);
  } catch (e) {
    assert.equal(code(e), 'PB_ERR_CAB_MALFORMED');
  }
});

void test('checksum matches the stored value of a real block', () => {
  const cab = readFixture('cab', 'wsus', `${wsus[1]}.cab`);
  const dir = readCabinetDirectory(cab);
  let pos = dir.folders[0]!.dataOffset;
  for (let i = 0; i < dir.folders[0]!.numBlocks; i++) {
    const stored = cab.readUInt32LE(pos);
    const cb = cab.readUInt16LE(pos + 4);
    const inner = cabChecksum(cab, pos + 8, pos + 8 + cb, 0);
    assert.equal(cabChecksum(cab, pos + 4, pos + 8, inner), stored, `block ${i}`);
    pos += 8 + cb;
  }
});

void test('declared output above the cap is refused before decoding (PB_ERR_CAB_LIMIT)', () => {
  const cab = readFixture('cab', 'wsus', `${wsus[1]}.cab`);
  assert.throws(
    () => readCabinet(cab, { maxOutputBytes: 69_569 }),
    (e: unknown) => code(e) === 'PB_ERR_CAB_LIMIT',
  );
  assert.equal(readCabinet(cab, { maxOutputBytes: 69_570 }).members[0]!.size, 69_570);
  // A forged file size (2 GiB - 1 in a folder of 3 blocks) is refused, not allocated.
  const forged = Buffer.from(cab);
  const dir = readCabinetDirectory(forged);
  const fileAt = 36 + 8; // no reserve, no set links, one folder
  assert.equal(dir.files[0]!.size, forged.readUInt32LE(fileAt));
  forged.writeUInt32LE(0x7fff_ffff, fileAt);
  assert.throws(
    () => readCabinet(forged),
    (e: unknown) => isAppError(e),
  );
  forged.writeUInt32LE(3 * 32768, fileAt);
  assert.throws(
    () => readCabinet(forged, { maxOutputBytes: 65536 }),
    (e: unknown) => code(e) === 'PB_ERR_CAB_LIMIT',
  );
  assert.throws(
    () => readCabinet(forged),
    (e: unknown) => code(e) === 'PB_ERR_CAB_MALFORMED',
  );
});

void test('member names are data: path syntax is returned verbatim and never interpreted', () => {
  const { members } = readCabinet(readFixture('cab', 'cabextract', 'dirwalk-vulns.cab'));
  const names = members.map((m) => m.name);
  assert.ok(names.includes('/absolute/path'));
  assert.ok(names.includes('../relative/path'));
  assert.ok(names.some((n) => n.includes('\\..\\')));
});

void test('names: UTF-8 flag honoured, other names read as ISO-8859-1 with raw bytes kept', () => {
  const utf = readCabinet(readFixture('cab', 'cabextract', 'case-utf8.cab')).members;
  assert.ok(utf.some((m) => m.name.includes('ΑΒΓΔ')));
  const koi = readCabinet(readFixture('cab', 'cabextract', 'encoding-koi8.cab')).members;
  assert.equal(koi[1]!.nameBytes[0], 0xe4);
  assert.equal(koi[1]!.name.charCodeAt(0), 0xe4);
});

void test('reserve fields in header, folders and data blocks are skipped', () => {
  const plain = readCabinet(readFixture('cab', 'libmspack', 'reserve_---.cab')).members;
  for (const v of ['--D', '-F-', '-FD', 'H--', 'H-D', 'HF-', 'HFD']) {
    const cab = readFixture('cab', 'libmspack', `reserve_${v}.cab`);
    const dir = readCabinetDirectory(cab);
    assert.equal(dir.headerReserve.length > 0, v[0] === 'H', v);
    assert.equal(dir.folders[0]!.reserve.length > 0, v[1] === 'F', v);
    assert.equal(dir.dataReserveSize > 0, v[2] === 'D', v);
    const got = readCabinet(cab).members;
    assert.deepEqual(
      got.map((m) => [m.name, m.data.toString('latin1')]),
      plain.map((m) => [m.name, m.data.toString('latin1')]),
      v,
    );
  }
});

void test('several folders with different methods in one cabinet', () => {
  const { members, cabinets } = readCabinet(readFixture('cab', 'libmspack', 'normal_2files_2folders.cab'));
  assert.deepEqual(
    cabinets[0]!.folders.map((f) => f.compType & 0x0f),
    [1, 3],
  );
  assert.deepEqual(
    members.map((m) => m.name),
    ['mszip1.txt', 'mszip2.txt', 'lzx1.txt', 'lzx2.txt'],
  );
});

void test('Quantum folders are refused as unsupported', () => {
  assert.throws(
    () => readCabinet(readFixture('cab', 'cabextract', 'mixed.cab')),
    (e: unknown) => code(e) === 'PB_ERR_CAB_UNSUPPORTED',
  );
});

void test('node-cabarc: stored, MSZIP, LZX 2^15 and 2^21 give the same members', () => {
  const ref = readCabinet(readFixture('cab', 'node-cabarc', 'none.cab')).members;
  for (const f of ['mszip.cab', 'lzx-15.cab', 'lzx-21.cab']) {
    const got = readCabinet(readFixture('cab', 'node-cabarc', f)).members;
    assert.deepEqual(
      got.map((m) => [m.name, m.data.toString('hex'), m.modified?.toISOString()]),
      ref.map((m) => [m.name, m.data.toString('hex'), m.modified?.toISOString()]),
      f,
    );
  }
});

void test('garbage, empty and truncated inputs are AppErrors', () => {
  const cab = readFixture('cab', 'wsus', `${wsus[1]}.cab`);
  for (const input of [
    Buffer.alloc(0),
    Buffer.from('MSCF'),
    Buffer.alloc(100),
    cab.subarray(0, 200),
    cab.subarray(0, cab.length - 1),
  ]) {
    assert.throws(
      () => readCabinet(input),
      (e: unknown) => isAppError(e),
    );
  }
  assert.throws(
    () => readCabinet([]),
    (e: unknown) => code(e) === 'PB_ERR_CAB_MALFORMED',
  );
  assert.throws(
    () => readCabinet(Buffer.alloc(64), { search: true }),
    (e: unknown) => code(e) === 'PB_ERR_CAB_MALFORMED',
  );
});

void test('writer output reads back through readCabinet (stored and MSZIP, one and many members)', () => {
  const blob = readFixture('cab', 'wsus', `${wsus[1]}.blob-utf16le`);
  const modified = new Date(Date.UTC(2024, 4, 17, 13, 45, 22));
  for (const compression of ['none', 'mszip'] as const) {
    const one = writeCabinet([{ name: 'blob', data: blob }], { compression });
    assert.ok(extractSingleMember(one, { expectedName: 'blob' }).equals(blob), compression);
    const many = writeCabinet(
      [
        { name: 'empty', data: Buffer.alloc(0) },
        { name: 'blob', data: blob, modified },
        { name: 'dossier/naïve.txt', data: Buffer.from('café'), attributes: 0x01 },
      ],
      { compression },
    );
    const got = readCabinet(many).members;
    assert.deepEqual(
      got.map((m) => [m.name, m.size, m.attributes]),
      [
        ['empty', 0, 0x20],
        ['blob', blob.length, 0x20],
        ['dossier/naïve.txt', 5, 0x81],
      ],
    );
    assert.ok(got[1]!.data.equals(blob));
    assert.equal(got[1]!.modified?.toISOString(), '2024-05-17T13:45:22.000Z');
    if (compression === 'mszip') assert.ok(one.length < blob.length / 3, 'MSZIP compresses the document');
  }
  assert.throws(
    () => writeCabinet([]),
    (e: unknown) => code(e) === 'PB_ERR_INVALID_PARAMETER',
  );
  assert.throws(
    () => writeCabinet([{ name: '', data: blob }]),
    (e: unknown) => isAppError(e),
  );
  assert.throws(
    () => writeCabinet([{ name: 'x'.repeat(256), data: blob }]),
    (e: unknown) => isAppError(e),
  );
});

void test('writer: only zero-length members gives a folder without blocks that reads back', () => {
  const cab = writeCabinet([{ name: 'a', data: Buffer.alloc(0) }]);
  assert.equal(readCabinet(cab).members[0]!.size, 0);
});

void test('a decompression bomb is refused by the cap, not obeyed', () => {
  // 16 MiB of zeros compress to a few KB of MSZIP; its declared size alone exceeds a 4 MiB cap.
  const bomb = writeCabinet([{ name: 'zeros', data: Buffer.alloc(16 * 1024 * 1024) }]);
  assert.ok(bomb.length < 64 * 1024, `bomb is ${bomb.length} bytes`);
  assert.throws(
    () => readCabinet(bomb, { maxOutputBytes: 4 * 1024 * 1024 }),
    (e: unknown) => code(e) === 'PB_ERR_CAB_LIMIT',
  );
  // Under a cap it fits, it decodes exactly.
  const m = readCabinet(bomb, { maxOutputBytes: 16 * 1024 * 1024 }).members[0]!;
  assert.equal(m.size, 16 * 1024 * 1024);
  assert.equal(m.data.indexOf(1), -1);
});

void test('select extracts only the chosen members (other folders: see the Quantum oracle test)', () => {
  const cab = readFixture('cab', 'libmspack', 'normal_2files_2folders.cab');
  const all = readCabinet(cab).members;
  const some = readCabinet(cab, { select: (name) => name.startsWith('lzx') }).members;
  assert.deepEqual(
    some.map((m) => [m.name, m.data.toString('latin1')]),
    all.filter((m) => m.name.startsWith('lzx')).map((m) => [m.name, m.data.toString('latin1')]),
  );
});
