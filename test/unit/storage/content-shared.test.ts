/**
 * The content-store parts a second store (S3-compatible) shares with the filesystem one: the meta record
 * codec and cache, the verified-ingest digest and checks, and ranged reads over a positional read. They
 * run here over memory only, which is also why they must not import the filesystem.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importsOf } from '../../../scripts/layers.js';
import { AppError } from '../../../src/errors.js';
import {
  decodeMeta,
  encodeMeta,
  MetaCache,
  type FileIdentity,
} from '../../../src/storage/content/meta-record.js';
import {
  checkReadRange,
  contentChunkBytes,
  RangeReadStream,
  type PositionalRead,
} from '../../../src/storage/content/range-reads.js';
import {
  checkIngestRequest,
  checkStoredMatches,
  IngestDigest,
  rehashMismatch,
} from '../../../src/storage/content/verified-ingest.js';

const root = join(import.meta.dirname, '../../..');
const shared = ['meta-record.ts', 'range-reads.ts', 'verified-ingest.ts'];

const code = (c: string) => (e: unknown) => e instanceof AppError && e.code === c;
const ident = (n: number): FileIdentity => ({ dev: 1, ino: n, size: 10, mtimeMs: 1.5, ctimeMs: 2.5 });

void test('the shared content-store modules import neither the filesystem nor the filesystem store', () => {
  for (const name of shared) {
    const file = `src/storage/content/${name}`;
    for (const imp of importsOf(root, file, readFileSync(join(root, file), 'utf8'))) {
      assert.ok(
        !/^(node:)?fs(\/|$)/.test(imp.specifier) && !/\/fs-[^/]*$/.test(imp.target ?? ''),
        `${file}:${imp.line} imports ${imp.specifier}: an S3-compatible store must be able to share it`,
      );
    }
  }
});

void test('meta records round-trip with and without an identity; version 1 and foreign bytes', () => {
  const sha256 = Buffer.alloc(32, 7);
  const full = { size: 12_345_678_901, storedAt: 1_700_000_000_123, sha256, verifiedFile: ident(9) };
  const b = encodeMeta(full);
  assert.equal(b.length, 96);
  assert.deepEqual(decodeMeta(b), full);
  assert.deepEqual(decodeMeta(encodeMeta({ size: 0, storedAt: 1, sha256 })), {
    size: 0,
    storedAt: 1,
    sha256,
  });
  // A version-1 record (56 bytes, no identity) is still read.
  const v1 = Buffer.from(b.subarray(0, 56));
  v1.writeUInt8(1, 4);
  assert.deepEqual(decodeMeta(v1), { size: full.size, storedAt: full.storedAt, sha256 });
  assert.equal(decodeMeta(Buffer.concat([b, Buffer.alloc(1)])), undefined);
  assert.equal(decodeMeta(Buffer.from('PBCX' + 'x'.repeat(92))), undefined);
  const huge = Buffer.from(b);
  huge.writeBigUInt64BE(2n ** 60n, 8);
  assert.equal(decodeMeta(huge), undefined);
});

void test('the meta cache answers only for the object version it was read beside', () => {
  const cache = new MetaCache<string>();
  const meta = { size: 10, storedAt: 1, sha256: Buffer.alloc(32), verifiedFile: ident(1) };
  cache.remember('a', meta, ident(1));
  assert.equal(cache.get('a', ident(1)), meta);
  // The object changed (another node replaced it): not answered, and forgotten.
  assert.equal(cache.get('a', ident(2)), undefined);
  assert.equal(cache.get('a', ident(1)), undefined);
  // A record that does not match the object is never remembered.
  cache.remember('b', meta, ident(3));
  assert.equal(cache.get('b', ident(3)), undefined);
  cache.remember('c', meta, ident(1));
  cache.delete('c');
  assert.equal(cache.get('c', ident(1)), undefined);
});

void test('IngestDigest refuses a longer source before hashing it and checks size and both digests', () => {
  const bytes = Buffer.from('hello, patchbay');
  const sha1 = createHash('sha1').update(bytes).digest();
  const sha256 = createHash('sha256').update(bytes).digest();
  const key = checkIngestRequest({ sha1, size: bytes.length }, 0, 1000);
  const ok = new IngestDigest(key, { sha1, sha256, size: bytes.length });
  ok.prefix(bytes.subarray(0, 5));
  ok.update(bytes.subarray(5));
  assert.deepEqual(ok.finish(), { size: bytes.length, sha256 });

  const long = new IngestDigest(key, { sha1, size: 4 });
  assert.throws(() => long.update(bytes), code('PB_ERR_CONTENT_SIZE_MISMATCH'));
  assert.equal(long.bytes, 0);
  const short = new IngestDigest(key, { sha1, size: bytes.length + 1 });
  short.update(bytes);
  assert.throws(() => short.finish(), code('PB_ERR_CONTENT_SIZE_MISMATCH'));
  const wrong1 = new IngestDigest(key, { sha1: Buffer.alloc(20), size: bytes.length });
  wrong1.update(bytes);
  assert.throws(() => wrong1.finish(), code('PB_ERR_CONTENT_DIGEST_MISMATCH'));
  const wrong256 = new IngestDigest(key, { sha1, sha256: Buffer.alloc(32), size: bytes.length });
  wrong256.update(bytes);
  assert.throws(() => wrong256.finish(), code('PB_ERR_CONTENT_DIGEST_MISMATCH'));

  assert.throws(() => checkIngestRequest({ sha1, size: 1001 }, 0, 1000), code('PB_ERR_INVALID_PARAMETER'));
  assert.throws(() => checkIngestRequest({ sha1, size: 10, sha256: Buffer.alloc(31) }, 0, 1000));
  assert.throws(() => checkIngestRequest({ sha1, size: 10 }, 11, 1000), code('PB_ERR_INVALID_PARAMETER'));
  const stored = { sha1: key, size: bytes.length, sha256, storedAt: 1 };
  checkStoredMatches(stored, { sha1, sha256, size: bytes.length });
  assert.throws(() => checkStoredMatches(stored, { sha1, size: 3 }), code('PB_ERR_CONTENT_SIZE_MISMATCH'));
  assert.throws(
    () => checkStoredMatches(stored, { sha1, sha256: Buffer.alloc(32), size: bytes.length }),
    code('PB_ERR_CONTENT_DIGEST_MISMATCH'),
  );
  const actual = { size: bytes.length, sha1, sha256 };
  assert.equal(rehashMismatch(key, actual, { size: bytes.length, sha256 }), undefined);
  assert.equal(rehashMismatch(key, actual, { size: 1, sha256 }), 'size');
  assert.equal(rehashMismatch(key, { ...actual, sha1: Buffer.alloc(20) }, actual), 'sha1');
  assert.equal(rehashMismatch(key, actual, { size: bytes.length, sha256: Buffer.alloc(32) }), 'sha256');
});

async function readAll(r: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

void test('RangeReadStream reads a range in 1 MiB pieces, errors on a short object, releases after the last read', async () => {
  const object = Buffer.alloc(2 * contentChunkBytes + 100);
  for (let i = 0; i < object.length; i++) object[i] = i % 251;
  const reads: number[] = [];
  const readAt: PositionalRead = (buf, length, position, done) => {
    reads.push(length);
    setImmediate(() => done(null, object.copy(buf, 0, position, position + length)));
  };
  let released = 0;
  const got = await readAll(new RangeReadStream(readAt, 10, object.length - 1, () => released++));
  assert.ok(got.equals(object.subarray(10)));
  assert.deepEqual(reads, [contentChunkBytes, contentChunkBytes, 90]);
  assert.equal(released, 1);

  // The object is shorter than the range (truncated behind the store's back): an error, not a short body.
  const short = new RangeReadStream(readAt, 0, object.length + 50, () => released++);
  await assert.rejects(readAll(short), code('PB_ERR_CONTENT_SIZE_MISMATCH'));
  assert.equal(released, 2);

  // Destroyed while a read is in flight: released only once that read has returned.
  let finish: (() => void) | undefined;
  const slow: PositionalRead = (_buf, length, _position, done) => (finish = () => done(null, length));
  const s = new RangeReadStream(slow, 0, 99, () => released++);
  s.resume();
  await new Promise((r) => setImmediate(r));
  s.destroy();
  await new Promise((r) => setImmediate(r));
  assert.equal(released, 2);
  finish?.();
  assert.equal(released, 3);

  assert.throws(() => checkReadRange(-1, 5, 10), code('PB_ERR_INVALID_PARAMETER'));
  assert.throws(() => checkReadRange(0, 10, 10), code('PB_ERR_INVALID_PARAMETER'));
  assert.throws(() => checkReadRange(7, 5, 10), code('PB_ERR_INVALID_PARAMETER'));
  checkReadRange(6, 5, 10); // an empty range at the end is allowed
  checkReadRange(0, 9, 10);
});
