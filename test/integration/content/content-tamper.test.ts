/**
 * Issue 10 item 5: /Content/ never serves bytes from outside the store root (a planted folder symlink) and
 * never serves a stored file that changed since it was verified until it has been re-hashed; bad bytes are
 * taken out of service and reported. All through the real HTTP route on loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, open, rename, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import type { VerifyOutcome } from '../../../src/storage/content/index.js';
import { ingestRandom, startContentServer, type ContentServer } from './content-server.js';

async function get(
  srv: ContentServer,
  hex: string,
  range?: string,
): Promise<{ status: number; body: Buffer }> {
  const res = await request(
    `${srv.origin}/Content/${hex.slice(38)}/${hex}.exe`,
    range === undefined ? {} : { headers: { range } },
  );
  return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
}

/** Every spelling a client may use: full, a range, HEAD-less. None may return the bytes. */
async function assertNotServed(srv: ContentServer, hex: string, allowed: readonly number[]): Promise<void> {
  for (const range of [undefined, 'bytes=0-1023', 'bytes=1000-']) {
    const r = await get(srv, hex, range);
    assert.ok(allowed.includes(r.status), `${String(range)} -> ${r.status}`);
  }
}

for (const target of ['outside', 'inside'] as const) {
  void test(`a planted folder symlink (${target} the root) is never followed, even after a cached open`, async (t) => {
    const srv = await startContentServer(t);
    const obj = await ingestRandom(srv.store, 200_000);
    const folder = obj.hex.slice(38);
    assert.equal((await get(srv, obj.hex)).status, 200); // the descriptor is now cached
    // A same-size impostor with a copy of the real metadata, in a folder the symlink points at.
    const decoyDir = target === 'outside' ? join(srv.dir, 'decoy') : join(srv.storeRoot, 'ZZ');
    await mkdir(decoyDir, { recursive: true });
    await writeFile(join(decoyDir, obj.hex), Buffer.alloc(200_000, 0x41));
    await copyFile(join(srv.storeRoot, folder, `${obj.hex}.meta`), join(decoyDir, `${obj.hex}.meta`));
    await rename(join(srv.storeRoot, folder), join(srv.dir, 'moved-away'));
    await symlink(decoyDir, join(srv.storeRoot, folder));
    await assertNotServed(srv, obj.hex, [404]);
    // Verification leaves what is behind the symlink alone and says why.
    const outcome = await srv.store.verify(obj.sha1);
    assert.deepEqual(outcome, { sha1: obj.hex, ok: false, reason: 'location', action: 'report' });
    assert.equal((await stat(join(decoyDir, obj.hex))).size, 200_000);
  });
}

void test('same-size corruption with the mtime put back is re-hashed, refused and reported', async (t) => {
  const bad: VerifyOutcome[] = [];
  const srv = await startContentServer(t, { onBadObject: (o) => bad.push(o) });
  const obj = await ingestRandom(srv.store, 300_000);
  const path = join(srv.storeRoot, obj.hex.slice(38), obj.hex);
  // A whole-second mtime, recorded by a verify, so utimes can put it back exactly (as `touch -r` would).
  await utimes(path, 1_700_000_000, 1_700_000_000);
  assert.equal((await srv.store.verify(obj.sha1)).ok, true);
  assert.equal((await get(srv, obj.hex)).status, 200);
  const before = await stat(path);
  const fh = await open(path, 'r+');
  await fh.write(Buffer.from('evil'), 0, 4, 1234);
  await fh.close();
  await utimes(path, 1_700_000_000, 1_700_000_000); // the ctime still moves
  assert.equal((await stat(path)).mtimeMs, before.mtimeMs);
  const first = await get(srv, obj.hex, 'bytes=0-4095');
  assert.equal(first.status, 503);
  await srv.store.settled();
  await assertNotServed(srv, obj.hex, [404]);
  assert.deepEqual(
    bad.map((o) => [o.sha1, o.reason, o.action]),
    [[obj.hex, 'sha1', 'quarantine']],
  );
});

void test('a zero-filled or truncated file is never served; each is reported once', async (t) => {
  const bad: VerifyOutcome[] = [];
  const srv = await startContentServer(t, { onBadObject: (o) => bad.push(o) });
  const zeroed = await ingestRandom(srv.store, 100_000);
  const cut = await ingestRandom(srv.store, 100_000);
  // Never opened before the damage: nothing cached may vouch for the file.
  await writeFile(join(srv.storeRoot, zeroed.hex.slice(38), zeroed.hex), Buffer.alloc(100_000));
  await truncate(join(srv.storeRoot, cut.hex.slice(38), cut.hex), 50_000);
  await assertNotServed(srv, zeroed.hex, [503, 404]);
  await assertNotServed(srv, cut.hex, [503, 404]);
  await srv.store.settled();
  await assertNotServed(srv, zeroed.hex, [404]);
  await assertNotServed(srv, cut.hex, [404]);
  assert.deepEqual(
    bad.map((o) => `${o.sha1}:${o.reason}`).sort(),
    [`${zeroed.hex}:sha1`, `${cut.hex}:size`].sort(),
  );
});

void test('a file that only changed identity (touched, right bytes) is served again once re-hashed', async (t) => {
  const bad: VerifyOutcome[] = [];
  const srv = await startContentServer(t, { onBadObject: (o) => bad.push(o) });
  const obj = await ingestRandom(srv.store, 100_000);
  const path = join(srv.storeRoot, obj.hex.slice(38), obj.hex);
  await utimes(path, new Date(), new Date(Date.now() - 86_400_000));
  assert.equal((await get(srv, obj.hex)).status, 503);
  await srv.store.settled();
  const r = await get(srv, obj.hex);
  assert.equal(r.status, 200);
  assert.ok(r.body.equals(obj.bytes));
  assert.deepEqual(bad, []);
});
