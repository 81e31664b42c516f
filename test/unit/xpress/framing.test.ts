/**
 * WSUS framing and the hard limits: garbage, truncations and decompression bombs are refused with
 * PB_ERR_DECOMPRESS (detail.kind corrupt | bomb), never another exception, and bombs before decoding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isAppError } from '../../../src/errors.js';
import {
  XpressBodyDecoder,
  XpressBodyEncoder,
  decodeXpressBody,
  encodeXpressBody,
  xpressDefaultBlockBytes,
} from '../../../src/protocol/xpress/index.js';
import { fixturePath } from '../../helpers/fixtures.js';

const page = readFileSync(fixturePath('wsus/wsus-m0-native/flow/000013/response.body'));

function refused(fn: () => unknown, kind: 'corrupt' | 'bomb'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isAppError(e), `not an AppError: ${String(e)}`);
    assert.equal(e.code, 'PB_ERR_DECOMPRESS');
    assert.equal(e.detail?.kind, kind, e.message);
    return true;
  });
}

function block(original: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeInt32LE(original, 0);
  h.writeInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** "a" then one match of `n` bytes at distance 1: 8 bytes of LZ77 for n + 1 bytes out. */
function run(n: number): Buffer {
  const w = Buffer.alloc(2);
  w.writeUInt16LE(n - 3);
  return Buffer.concat([Buffer.from('ffffff7f61' + '07000fff', 'hex'), w]);
}

void test('a real 138 KB SyncUpdates page round-trips in 16,352-byte blocks and shrinks below WS2025', () => {
  const body = encodeXpressBody(page);
  assert.deepEqual(decodeXpressBody(body), page);
  assert.equal(body.readInt32LE(0), xpressDefaultBlockBytes);
  // WS2025 sent this answer as 30,617 bytes (meta.json wire_response_content_length).
  assert.ok(body.length <= 30_617, `${body.length} bytes`);
});

void test('any block size from 1 to 65,535 round-trips, and decoding accepts every size', () => {
  for (const blockBytes of [1, 7, 4096, 16_352, 65_535]) {
    const e = new XpressBodyEncoder({ blockBytes });
    // 1-byte blocks on a small input only: a body may hold at most one block per KiB (limits.ts).
    const input = page.subarray(0, blockBytes === 1 ? 900 : 70_000);
    assert.deepEqual(decodeXpressBody(e.encode(input)), input, `block ${blockBytes}`);
  }
  assert.throws(() => new XpressBodyEncoder({ blockBytes: 65_536 }), RangeError);
});

void test('the decoder takes a body in chunks of any size, holding only the incomplete block', () => {
  const body = encodeXpressBody(page);
  for (const size of [1, 3, 8, 1000, 70_000]) {
    const d = new XpressBodyDecoder();
    for (let i = 0; i < body.length; i += size) d.push(body.subarray(i, i + size));
    assert.deepEqual(d.end(), page, `chunks of ${size}`);
  }
});

void test('an empty body decodes to nothing; a body cut inside a block header or payload is corrupt', () => {
  assert.equal(decodeXpressBody(Buffer.alloc(0)).length, 0);
  const body = encodeXpressBody(page);
  for (const cut of [1, 7, 8, 9, 500, body.length - 1])
    refused(() => decodeXpressBody(body.subarray(0, cut)), 'corrupt');
});

void test('header sizes outside 0..65,535 (negative, 65,536, int32 max) are corrupt', () => {
  for (const [o, c] of [
    [-1, 4],
    [65_536, 4],
    [4, -1],
    [4, 65_536],
    [0x7fffffff, 4],
  ] as const) {
    const h = Buffer.alloc(12);
    h.writeInt32LE(o, 0);
    h.writeInt32LE(c, 4);
    refused(() => decodeXpressBody(h), 'corrupt');
  }
});

void test('LZ77 payloads that lie are corrupt: early end, distance before the block, overrun, short length field', () => {
  // Declares 20 bytes, produces 11.
  refused(() => decodeXpressBody(block(20, Buffer.from('ffffff7f610600', 'hex'))), 'corrupt');
  // Distance 2 with one byte produced.
  refused(() => decodeXpressBody(block(10, Buffer.from('ffffff7f610800', 'hex'))), 'corrupt');
  // The match runs past the declared size (declares 5, match of 9 after one literal).
  refused(() => decodeXpressBody(block(5, Buffer.from('ffffff7f610600', 'hex'))), 'corrupt');
  // A 16-bit length field below 22.
  refused(() => decodeXpressBody(block(40, Buffer.from('ffffff7f6107000fff0500', 'hex'))), 'corrupt');
  // Flag word cut short.
  refused(() => decodeXpressBody(block(4, Buffer.from('ffff', 'hex'))), 'corrupt');
  // Garbage.
  refused(() => decodeXpressBody(Buffer.from('this is not xpress at all, just text')), 'corrupt');
});

void test('bombs are refused on the declared size, before a byte is decoded', () => {
  // 18-byte blocks that each decode to 65,535 bytes: 1 GiB would take 16,385 of them (295 KB on the wire).
  const one = block(65_535, run(65_534));
  assert.equal(decodeXpressBody(one).length, 65_535);
  const bomb = Buffer.concat(Array.from({ length: 40 }, () => one));
  refused(() => decodeXpressBody(bomb, { maxDecodedBytes: 1024 * 1024 }), 'bomb');
  const d = new XpressBodyDecoder({ maxDecodedBytes: 1024 * 1024 });
  // The refusal comes at the header of the 17th block: 16 × 65,535 fit, the 17th would not.
  for (let i = 0; i < 16; i++) d.push(one);
  refused(() => d.push(one.subarray(0, 8)), 'bomb');
  assert.equal(d.decodedBytes, 16 * 65_535);
  refused(() => d.push(one), 'corrupt'); // a failed decoder stays failed
});

void test('a flood of empty blocks is refused by the block count', () => {
  const empty = block(0, Buffer.alloc(0));
  assert.equal(decodeXpressBody(Buffer.concat([empty, empty])).length, 0);
  refused(
    () =>
      decodeXpressBody(Buffer.concat(Array.from({ length: 17 }, () => empty)), {
        maxDecodedBytes: 1024,
        maxBlocks: 16,
      }),
    'bomb',
  );
});
