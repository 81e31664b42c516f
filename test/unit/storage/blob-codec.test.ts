import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBlob, encodeBlob } from '../../../src/storage/index.js';

void test('compressed blobs round-trip and do not pin zlib output chunks far larger than themselves', () => {
  const raw = 'x'.repeat(20_000) + 'y'.repeat(20_000);
  for (const codec of ['gzip', 'br'] as const) {
    const blob = encodeBlob(raw, codec);
    assert.equal(blob.codec, codec);
    assert.ok(blob.data.length < 1000, `${codec}: ${blob.data.length} bytes`);
    // A 16 KiB zlib chunk behind a tiny result is what used to keep ~35 KB alive per cached revision.
    assert.ok(blob.data.buffer.byteLength <= 8192, `${codec}: backing store ${blob.data.buffer.byteLength}`);
    assert.equal(decodeBlob(blob).toString('utf8'), raw);
  }
});
