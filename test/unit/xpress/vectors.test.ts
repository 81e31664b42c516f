/**
 * The Plain LZ77 test vectors of docs/protocol/upstream.md §U3.4 (copied from the protocol team's brief, which
 * docs/protocol/ condenses, with the length-field table of §U3.3): X1 and X2 quoted from MS-XCA 3.1 (SPEC, must match byte for byte both ways); D1-D6 and the
 * length-field table derived by the protocol team's own transcription (UNVERIFIED-derived: the decoder must
 * read them; the encoder is held to them only because it makes the same greedy choices).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PlainLz77Encoder,
  decodePlainLz77Into,
  decodeXpressBody,
  encodeXpressBody,
  plainLz77Bound,
} from '../../../src/protocol/xpress/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const range = (from: number, to: number): Buffer =>
  Buffer.from(Array.from({ length: to - from + 1 }, (_, i) => from + i));

function compress(input: Buffer): Buffer {
  const out = Buffer.alloc(plainLz77Bound(input.length));
  return out.subarray(0, new PlainLz77Encoder().encode(input, 0, input.length, out, 0));
}

function decompress(payload: Buffer, size: number): Buffer {
  const out = Buffer.alloc(size);
  decodePlainLz77Into(payload, out, 0, size);
  return out;
}

const spec: ReadonlyArray<[string, Buffer, string]> = [
  [
    'X1',
    Buffer.from('abcdefghijklmnopqrstuvwxyz'),
    '3f000000 6162636465666768696a6b6c6d6e6f707172737475767778797a',
  ],
  ['X2', Buffer.from('abc'.repeat(100)), 'ffffff1f 616263 1700 0f ff 2601'],
];

const derived: ReadonlyArray<[string, Buffer, string]> = [
  ['D1', Buffer.alloc(0), 'ffffffff'],
  ['D2', Buffer.from('a'.repeat(10)), 'ffffff7f 61 0600'],
  ['D3', range(0x40, 0x5f), `00000000 ${range(0x40, 0x5f).toString('hex')} ffffffff`],
  ['D4', range(0x40, 0x67), `00000000 ${range(0x40, 0x5f).toString('hex')} ffffff00 6061626364656667`],
  [
    'D5',
    Buffer.from('0123456789ABCDEF'.repeat(2) + 'ghijklmnopqrstuv'.repeat(2)),
    '00800000 30313233343536373839414243444546 7f00 66 6768696a6b6c6d6e6f707172737475 ffffff7f 76 7f00',
  ],
];

for (const [name, input, compressed] of [...spec, ...derived]) {
  void test(`${name}: the decoder reads the published bytes`, () => {
    assert.deepEqual(decompress(hex(compressed), input.length), input);
  });
  void test(`${name}: the encoder writes the published bytes`, () => {
    assert.equal(compress(input).toString('hex'), hex(compressed).toString('hex'));
  });
}

void test('length-field table (MS-WUSP 2.1.1.1.2): "a" + match(distance 1, n) for the edge lengths', () => {
  const table: ReadonlyArray<[number, string]> = [
    [24, '0700 0e'],
    [25, '0700 0f 00'],
    [26, '0700 0f 01'],
    [279, '0700 0f fe'],
    [280, '0700 0f ff 1501'],
    [281, '0700 0f ff 1601'],
  ];
  for (const [n, tail] of table) {
    const input = Buffer.from('a'.repeat(n + 1));
    const bytes = hex(`ffffff7f 61 ${tail}`);
    assert.deepEqual(decompress(bytes, n + 1), input, `decode n=${n}`);
    assert.equal(compress(input).toString('hex'), bytes.toString('hex'), `encode n=${n}`);
  }
});

void test('SPEC token example: 0x0018 is distance 4, length 3', () => {
  // "abcd" then the token: copies "abc" from 4 back.
  assert.equal(decompress(hex('ffffff0f 61626364 1800'), 7).toString(), 'abcdabc');
});

void test('the 32-bit length escape of MS-XCA decodes (W = 0, then D = length - 3)', () => {
  const n = 300;
  const d = Buffer.alloc(4);
  d.writeUInt32LE(n - 3);
  const bytes = Buffer.concat([hex('ffffff7f 61 0700 0f ff 0000'), d]);
  assert.deepEqual(decompress(bytes, n + 1), Buffer.from('a'.repeat(n + 1)));
});

void test('D6: X2 as an HTTP body in one MS-WUSP block', () => {
  const body = hex('2c010000 0d000000 ffffff1f 616263 1700 0f ff 2601');
  assert.deepEqual(decodeXpressBody(body), Buffer.from('abc'.repeat(100)));
  assert.deepEqual(encodeXpressBody(Buffer.from('abc'.repeat(100))), body);
});

void test('a stored block (equal sizes) is copied raw, as WS2025 ends bodies (REAL team note)', () => {
  const raw = Buffer.from('<s:Envelope/>');
  const header = Buffer.alloc(8);
  header.writeInt32LE(raw.length, 0);
  header.writeInt32LE(raw.length, 4);
  assert.deepEqual(decodeXpressBody(Buffer.concat([header, raw])), raw);
  // And the encoder stores what does not shrink: 13 bytes of literals would take 21.
  assert.deepEqual(encodeXpressBody(raw), Buffer.concat([header, raw]));
});
