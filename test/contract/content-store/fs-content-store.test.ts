import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, open, readdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsContentStore, openContentStore } from '../../../src/storage/content/index.js';
import { chunks, makeBlob, runContentStoreContract } from './content-store-contract.js';

// Through the factory the server and the CLI use: `content.dir` names the filesystem store's root.
runContentStoreContract('FsContentStore', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-content-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await openContentStore({ content: { dir: join(dir, 'store') } });
  return {
    store,
    corruptObject: async (sha1hex, offset, bytes) => {
      const h = await open(join(dir, 'store', sha1hex.slice(38), sha1hex), 'r+');
      try {
        await h.write(bytes, 0, bytes.length, offset);
      } finally {
        await h.close();
      }
    },
  };
});

async function readAllBytes(r: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function twoNodes(t: TestContext): Promise<{ dir: string; a: FsContentStore; b: FsContentStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-content-shared-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = await FsContentStore.open(join(dir, 'store'));
  const b = await FsContentStore.open(join(dir, 'store'));
  return { dir, a, b };
}

// The meta cache of one store must never let it serve what another node sharing the folder took away.
void test('FsContentStore: a cached object quarantined by another node on the same folder is not served', async (t) => {
  const { a, b } = await twoNodes(t);
  const blob = makeBlob(300_000);
  await a.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: blob.bytes.length });
  assert.ok((await readAllBytes(await a.openRange(blob.sha1, 0, blob.bytes.length - 1))).equals(blob.bytes));
  const h = await b.open(blob.sha1);
  assert.ok(h !== undefined);
  await h.close();
  // Corrupt in place, then the other node verifies and quarantines.
  const f = await open(join(b.root, blob.hex.slice(38), blob.hex), 'r+');
  await f.write(Buffer.from('rot'), 0, 3, 1000);
  await f.close();
  assert.equal((await b.verify(blob.sha1)).reason, 'sha1');
  assert.equal(await a.open(blob.sha1), undefined);
  assert.equal(await b.open(blob.sha1), undefined);
  // Re-ingested by the other node: served again by the first, byte-exact.
  await b.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: blob.bytes.length });
  assert.ok((await readAllBytes(await a.openRange(blob.sha1, 0, blob.bytes.length - 1))).equals(blob.bytes));
});

void test('FsContentStore: a cached object truncated or replaced on disk is refused, not served from the cache', async (t) => {
  const { a } = await twoNodes(t);
  const blob = makeBlob(200_000);
  await a.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: blob.bytes.length });
  const path = join(a.root, blob.hex.slice(38), blob.hex);
  assert.equal((await a.stat(blob.sha1))?.size, blob.bytes.length);
  await truncate(path, 100_000);
  assert.equal(await a.open(blob.sha1), undefined);
  // Known bad once re-hashed: quarantined, so it stays refused.
  assert.equal(a.isBeingVerified(blob.sha1), true);
  await a.settled();
  assert.equal((await a.verify(blob.sha1)).reason, 'missing');
  // A copy of the right bytes renamed over a stored object (another node restoring it): not the file that
  // was verified, so it is re-hashed first, then served.
  await a.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: blob.bytes.length });
  assert.ok((await a.stat(blob.sha1)) !== undefined);
  const other = join(a.root, 'other.bin');
  await writeFile(other, blob.bytes);
  await rename(other, path);
  assert.equal(await a.open(blob.sha1), undefined);
  await a.settled();
  const h = await a.open(blob.sha1);
  assert.ok(h !== undefined);
  assert.equal(h.size, blob.bytes.length);
  await h.close();
  // The meta record gone (another node deleting): the object disappears first, and a fresh file is refused.
  await rm(join(a.root, blob.hex.slice(38), `${blob.hex}.meta`));
  await writeFile(other, blob.bytes);
  await rename(other, path);
  assert.equal(await a.open(blob.sha1), undefined);
});

void test('FsContentStore: destroying a stream mid-read closes its descriptor once the read is done', async (t) => {
  const { a } = await twoNodes(t);
  const blob = makeBlob(3_000_000);
  await a.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: blob.bytes.length });
  for (let i = 0; i < 20; i++) {
    const s = await a.openRange(blob.sha1, 0, blob.bytes.length - 1);
    s.resume();
    s.destroy();
    await once(s, 'close');
  }
  // Descriptors were not leaked or double-closed: other reads still work byte-exact.
  assert.ok(
    (await readAllBytes(await a.openRange(blob.sha1, 5, 2_500_000))).equals(
      blob.bytes.subarray(5, 2_500_001),
    ),
  );
});

void test('FsContentStore: a cached descriptor is used only while the path still names its file', async (t) => {
  const { a } = await twoNodes(t);
  const blob = makeBlob(150_000);
  await a.ingest(chunks(blob.bytes), { sha1: blob.sha1, size: blob.bytes.length });
  assert.ok((await readAllBytes(await a.openRange(blob.sha1, 0, blob.bytes.length - 1))).equals(blob.bytes));
  // Another file renamed over the object (same size): never read through the old descriptor, and never
  // served itself, since its bytes are not the object's.
  const other = Buffer.alloc(blob.bytes.length, 7);
  const tmp = join(a.root, 'other.bin');
  await writeFile(tmp, other);
  await rename(tmp, join(a.root, blob.hex.slice(38), blob.hex));
  await assert.rejects(a.openRange(blob.sha1, 0, 99), { code: 'PB_ERR_NOT_FOUND' });
  await a.settled();
  assert.equal(await a.open(blob.sha1), undefined);
  assert.equal(a.isBeingVerified(blob.sha1), false);
});

void test('FsContentStore: cached descriptors stay bounded and are closed once unused', async (t) => {
  if (process.platform !== 'linux') return t.skip('counts /proc/self/fd');
  const { a } = await twoNodes(t);
  const fds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
  // Descriptors are closed asynchronously: wait (bounded) for the count to settle at `n`.
  const settlesAt = async (n: number): Promise<number> => {
    let got = (await fds()) - before;
    for (let i = 0; i < 50 && got !== n; i++) {
      await new Promise((r) => setTimeout(r, 20));
      got = (await fds()) - before;
    }
    return got;
  };
  const before = await fds();
  const blobs = Array.from({ length: 100 }, () => makeBlob(2_000));
  for (const b of blobs) await a.ingest([b.bytes], { sha1: b.sha1, size: b.bytes.length });
  for (const b of blobs) assert.ok((await readAllBytes(await a.openRange(b.sha1, 0, 1999))).equals(b.bytes));
  const held = (await fds()) - before;
  assert.ok(held > 0 && held <= 64, `descriptors held: ${held}`);
  // A handle in use keeps its descriptor past a release; it closes when the handle is done.
  const h = await a.open(blobs[99]!.sha1);
  assert.ok(h !== undefined);
  await a.close();
  assert.equal(await settlesAt(1), 1);
  assert.ok((await readAllBytes(h.createReadStream(0, 1999))).equals(blobs[99]!.bytes));
  assert.equal(await settlesAt(0), 0);
});
