import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError } from '../../../src/errors.js';
import type { ContentStore } from '../../../src/storage/content/index.js';

/** A store under test plus the implementation-specific hooks the contract needs. */
export interface ContentStoreUnderTest {
  readonly store: ContentStore;
  /** Overwrite bytes of a stored object behind the store's back (simulates disk/bucket corruption). */
  readonly corruptObject: (sha1hex: string, offset: number, bytes: Buffer) => Promise<void>;
}

export type MakeContentStore = (t: TestContext) => Promise<ContentStoreUnderTest>;

export interface Blob {
  readonly bytes: Buffer;
  readonly sha1: Buffer;
  readonly sha256: Buffer;
  readonly hex: string;
}

export function makeBlob(size: number): Blob {
  const bytes = randomBytes(size);
  const sha1 = createHash('sha1').update(bytes).digest();
  return {
    bytes,
    sha1,
    sha256: createHash('sha256').update(bytes).digest(),
    hex: sha1.toString('hex').toUpperCase(),
  };
}

/** Yields `bytes` in `chunk`-sized pieces, optionally failing after `failAfter` bytes (a dropped connection). */
export async function* chunks(bytes: Buffer, chunk = 64 * 1024, failAfter?: number): AsyncGenerator<Buffer> {
  for (let off = 0; off < bytes.length; off += chunk) {
    if (failAfter !== undefined && off >= failAfter) throw new Error('simulated connection reset');
    yield bytes.subarray(off, Math.min(bytes.length, off + chunk));
    await Promise.resolve();
  }
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AppError, `expected AppError, got ${String(e)}`);
    assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** The shared behaviour every ContentStore implementation must show (hono-style contract suite). */
export function runContentStoreContract(name: string, make: MakeContentStore): void {
  void test(`${name}: ingest, stat, has, ranged reads byte-exact`, async (t) => {
    const { store } = await make(t);
    const blob = makeBlob(3 * 1024 * 1024 + 12345);
    assert.equal(await store.has(blob.sha1), false);
    assert.equal(await store.stat(blob.hex), undefined);
    const r = await store.ingest(chunks(blob.bytes), {
      sha1: blob.sha1,
      sha256: blob.sha256,
      size: blob.bytes.length,
    });
    assert.equal(r.alreadyPresent, false);
    assert.equal(r.sha1, blob.hex);
    assert.deepEqual(r.sha256, blob.sha256);
    const st = await store.stat(blob.hex.toLowerCase());
    assert.ok(st);
    assert.equal(st.size, blob.bytes.length);
    assert.deepEqual(st.sha256, blob.sha256);
    assert.equal(st.storedAt, r.storedAt);
    assert.equal(await store.has(blob.sha1), true);
    for (let i = 0; i < 25; i++) {
      const a = Math.floor(Math.random() * blob.bytes.length);
      const b = a + Math.floor(Math.random() * (blob.bytes.length - a));
      const got = await readAll(await store.openRange(blob.hex, a, b));
      assert.ok(got.equals(blob.bytes.subarray(a, b + 1)), `range ${a}-${b}`);
    }
    const all = await readAll(await store.openRange(blob.sha1, 0, blob.bytes.length - 1));
    assert.ok(all.equals(blob.bytes));
    await rejectsWithCode(store.openRange(blob.hex, 0, blob.bytes.length), 'PB_ERR_INVALID_PARAMETER');
    await rejectsWithCode(store.openRange(makeBlob(1).hex, 0, 0), 'PB_ERR_NOT_FOUND');
    const listed: string[] = [];
    for await (const s of store.list()) listed.push(s);
    assert.deepEqual(listed, [blob.hex]);
  });

  void test(`${name}: close lets a read in flight finish, and the store stays usable`, async (t) => {
    const { store } = await make(t);
    const blob = makeBlob(2 * 1024 * 1024 + 7);
    await store.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: blob.bytes.length });
    const reading = await store.openRange(blob.sha1, 0, blob.bytes.length - 1);
    await store.close();
    assert.ok((await readAll(reading)).equals(blob.bytes));
    assert.equal(await store.has(blob.sha1), true);
    assert.ok((await readAll(await store.openRange(blob.hex, 5, 9))).equals(blob.bytes.subarray(5, 10)));
    await store.close();
  });

  void test(`${name}: ingest without an expected SHA-256 records the computed one; empty objects work`, async (t) => {
    const { store } = await make(t);
    const blob = makeBlob(1000);
    const r = await store.ingest(Readable.from([blob.bytes]), { sha1: blob.sha1, size: 1000 });
    assert.deepEqual(r.sha256, blob.sha256);
    const empty = makeBlob(0);
    await store.ingest(chunks(empty.bytes), { sha1: empty.sha1, sha256: empty.sha256, size: 0 });
    const st = await store.stat(empty.sha1);
    assert.equal(st?.size, 0);
  });

  void test(`${name}: a SHA-1 or SHA-256 mismatch is never stored and leaves no partial`, async (t) => {
    const { store } = await make(t);
    const blob = makeBlob(200_000);
    const other = makeBlob(200_000);
    const e1 = await rejectsWithCode(
      store.ingest(chunks(other.bytes), { sha1: blob.sha1, size: 200_000 }),
      'PB_ERR_CONTENT_DIGEST_MISMATCH',
    );
    assert.equal(e1.detail?.algorithm, 'sha1');
    assert.equal(await store.has(blob.sha1), false);
    assert.equal(await store.partialSize(blob.sha1), 0);
    const e2 = await rejectsWithCode(
      store.ingest(chunks(blob.bytes), { sha1: blob.sha1, sha256: other.sha256, size: 200_000 }),
      'PB_ERR_CONTENT_DIGEST_MISMATCH',
    );
    assert.equal(e2.detail?.algorithm, 'sha256');
    assert.equal(await store.has(blob.sha1), false);
    assert.equal(await store.partialSize(blob.sha1), 0);
    // A single flipped bit in the middle.
    const flipped = Buffer.from(blob.bytes);
    flipped[100_000] = (flipped[100_000] ?? 0) ^ 1;
    await rejectsWithCode(
      store.ingest(chunks(flipped), { sha1: blob.sha1, sha256: blob.sha256, size: 200_000 }),
      'PB_ERR_CONTENT_DIGEST_MISMATCH',
    );
    assert.equal(await store.has(blob.sha1), false);
  });

  void test(`${name}: too long and too short sources are size mismatches, never stored`, async (t) => {
    const { store } = await make(t);
    const blob = makeBlob(100_000);
    await rejectsWithCode(
      store.ingest(chunks(Buffer.concat([blob.bytes, Buffer.from([0])])), { sha1: blob.sha1, size: 100_000 }),
      'PB_ERR_CONTENT_SIZE_MISMATCH',
    );
    await rejectsWithCode(
      store.ingest(chunks(blob.bytes.subarray(0, 99_999)), { sha1: blob.sha1, size: 100_000 }),
      'PB_ERR_CONTENT_SIZE_MISMATCH',
    );
    await rejectsWithCode(
      store.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: 99_999 }),
      'PB_ERR_CONTENT_SIZE_MISMATCH',
    );
    assert.equal(await store.has(blob.sha1), false);
    assert.equal(await store.partialSize(blob.sha1), 0);
    await rejectsWithCode(
      store.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: -1 }),
      'PB_ERR_INVALID_PARAMETER',
    );
    await rejectsWithCode(
      store.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: 1.5 }),
      'PB_ERR_INVALID_PARAMETER',
    );
  });

  void test(`${name}: an interrupted ingest resumes from its partial, re-hashing the prefix`, async (t) => {
    const { store } = await make(t);
    const blob = makeBlob(2 * 1024 * 1024 + 777);
    const expected = { sha1: blob.sha1, sha256: blob.sha256, size: blob.bytes.length };
    await assert.rejects(
      store.ingest(chunks(blob.bytes, 64 * 1024, 1_300_000), expected),
      /simulated connection reset/,
    );
    assert.equal(await store.has(blob.sha1), false);
    const have = await store.partialSize(blob.sha1);
    assert.ok(have > 0 && have <= 1_310_720, `partial ${have}`);
    // Resume from a little earlier than the partial's end (the store cuts back to it).
    const from = have - 1000;
    const r = await store.ingest(chunks(blob.bytes.subarray(from)), expected, { resumeFrom: from });
    assert.equal(r.alreadyPresent, false);
    assert.ok((await readAll(await store.openRange(blob.sha1, 0, blob.bytes.length - 1))).equals(blob.bytes));
    assert.equal(await store.partialSize(blob.sha1), 0);
  });

  void test(`${name}: resuming on a corrupt prefix fails the digest check and drops the partial`, async (t) => {
    const { store } = await make(t);
    const blob = makeBlob(600_000);
    const bad = Buffer.from(blob.bytes);
    bad[10] = (bad[10] ?? 0) ^ 0xff;
    const expected = { sha1: blob.sha1, size: blob.bytes.length };
    await assert.rejects(store.ingest(chunks(bad, 64 * 1024, 300_000), expected), /simulated/);
    const have = await store.partialSize(blob.sha1);
    assert.ok(have > 0);
    await rejectsWithCode(
      store.ingest(chunks(blob.bytes.subarray(have)), expected, { resumeFrom: have }),
      'PB_ERR_CONTENT_DIGEST_MISMATCH',
    );
    assert.equal(await store.has(blob.sha1), false);
    assert.equal(await store.partialSize(blob.sha1), 0);
    // resumeFrom beyond what is kept is refused.
    await rejectsWithCode(store.ingest(chunks(blob.bytes), expected, { resumeFrom: 5 }), 'PB_ERR_CONFLICT');
  });

  void test(`${name}: concurrent ingests of one digest store it once, the others do not read`, async (t) => {
    const { store } = await make(t);
    const blob = makeBlob(1_500_000);
    const expected = { sha1: blob.sha1, sha256: blob.sha256, size: blob.bytes.length };
    const results = await Promise.all(
      Array.from({ length: 6 }, () => store.ingest(chunks(blob.bytes), expected)),
    );
    assert.equal(results.filter((r) => !r.alreadyPresent).length, 1);
    assert.ok((await readAll(await store.openRange(blob.sha1, 0, blob.bytes.length - 1))).equals(blob.bytes));
    // A later ingest claiming the same SHA-1 with a different SHA-256 is refused, the object unchanged.
    await rejectsWithCode(
      store.ingest(chunks(blob.bytes), { ...expected, sha256: makeBlob(1).sha256 }),
      'PB_ERR_CONTENT_DIGEST_MISMATCH',
    );
    // Concurrent ingests of one digest where the first is bad: the bad one fails, a good one succeeds.
    const b2 = makeBlob(300_000);
    const e2 = { sha1: b2.sha1, size: b2.bytes.length };
    const outcomes = await Promise.allSettled([
      store.ingest(chunks(makeBlob(300_000).bytes), e2),
      store.ingest(chunks(b2.bytes), e2),
    ]);
    assert.equal(outcomes[0]?.status, 'rejected');
    assert.equal(outcomes[1]?.status, 'fulfilled');
    assert.equal(await store.has(b2.sha1), true);
  });

  void test(`${name}: verify detects corruption and takes the object out of service`, async (t) => {
    const { store, corruptObject } = await make(t);
    const blob = makeBlob(1_200_000);
    const good = makeBlob(50_000);
    await store.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: blob.bytes.length });
    await store.ingest(chunks(good.bytes), { sha1: good.sha1, size: good.bytes.length });
    assert.deepEqual(await store.verify(blob.sha1), { sha1: blob.hex, ok: true });
    await corruptObject(blob.hex, 700_000, Buffer.from('not the original bytes'));
    const report = await store.verifyAll();
    assert.equal(report.checked, 2);
    assert.equal(report.bad.length, 1);
    assert.equal(report.bad[0]?.sha1, blob.hex);
    assert.equal(report.bad[0]?.reason, 'sha1');
    assert.equal(report.bad[0]?.action, 'quarantine');
    assert.equal(await store.has(blob.sha1), false);
    assert.equal(await store.open(blob.sha1), undefined);
    assert.equal(await store.has(good.sha1), true);
    // It can be fetched again afterwards.
    await store.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: blob.bytes.length });
    assert.equal((await store.verify(blob.sha1)).ok, true);
  });

  void test(`${name}: delete, and keys that are not SHA-1s are refused before any path is built`, async (t) => {
    const { store } = await make(t);
    const blob = makeBlob(10);
    await store.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: 10 });
    assert.equal(await store.delete(blob.hex), true);
    assert.equal(await store.delete(blob.hex), false);
    assert.equal(await store.has(blob.sha1), false);
    for (const bad of [
      '../../etc/passwd',
      `${blob.hex.slice(0, 39)}/`,
      `${blob.hex}.exe`,
      `${blob.hex.slice(0, 39)}\0`,
      '',
      'G'.repeat(40),
      Buffer.alloc(19),
      Buffer.alloc(21),
    ]) {
      await rejectsWithCode(store.has(bad), 'PB_ERR_INVALID_PARAMETER');
      await rejectsWithCode(
        store.ingest(chunks(blob.bytes), { sha1: bad as Buffer, size: 10 }),
        'PB_ERR_INVALID_PARAMETER',
      );
    }
  });
}
