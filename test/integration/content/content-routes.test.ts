import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, symlink, truncate, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { parseSha1Hex } from '../../../src/storage/content/index.js';
import { canaryText, ingestRandom, startContentServer } from './content-server.js';
import { rawRequest } from './raw-http.js';

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

void test('1 MiB pieces in shuffled order over 7 keep-alive connections reassemble byte-exact', async (t) => {
  const srv = await startContentServer(t);
  const obj = await ingestRandom(srv.store, 7 * 1024 * 1024 + 12_345);
  let connections = 0;
  srv.app.server.on('connection', () => connections++);
  const pool = new Pool(srv.origin, { connections: 7, pipelining: 1 });
  t.after(() => pool.close());
  const size = obj.bytes.length;
  const piece = 1 << 20;
  const starts = shuffle(Array.from({ length: Math.ceil(size / piece) }, (_, i) => i * piece));
  const out = Buffer.alloc(size);
  const url = `/Content/${obj.hex.slice(38)}/${obj.hex}.exe`;
  // Two rounds so connections are reused (keep-alive), plus 60 random ranges.
  for (let round = 0; round < 2; round++) {
    await Promise.all(
      starts.map(async (start) => {
        const end = Math.min(size, start + piece) - 1;
        const res = await pool.request({
          path: url,
          method: 'GET',
          headers: { range: `bytes=${start}-${end}` },
        });
        assert.equal(res.statusCode, 206);
        assert.equal(res.headers['content-range'], `bytes ${start}-${end}/${size}`);
        assert.equal(res.headers['content-length'], String(end - start + 1));
        const body = Buffer.from(await res.body.arrayBuffer());
        assert.equal(body.length, end - start + 1);
        body.copy(out, start);
      }),
    );
  }
  assert.ok(out.equals(obj.bytes));
  const ranges = Array.from({ length: 60 }, () => {
    const a = Math.floor(Math.random() * size);
    return [a, a + Math.floor(Math.random() * Math.min(3 * piece, size - a))] as const;
  });
  await Promise.all(
    ranges.map(async ([a, b]) => {
      const res = await pool.request({ path: url, method: 'GET', headers: { range: `bytes=${a}-${b}` } });
      assert.equal(res.statusCode, 206);
      const body = Buffer.from(await res.body.arrayBuffer());
      assert.ok(body.equals(obj.bytes.subarray(a, b + 1)), `range ${a}-${b}`);
    }),
  );
  assert.ok(connections <= 7, `connections opened: ${connections}`);
});

void test('range forms, clamping, 416, HEAD, full 200, multiple ranges and conditionals', async (t) => {
  const srv = await startContentServer(t);
  const obj = await ingestRandom(srv.store, 100_000);
  const url = `${srv.origin}/Content/${obj.hex.slice(38)}/${obj.hex}.cab`;
  const get = async (headers: Record<string, string>, method: 'GET' | 'HEAD' = 'GET') => {
    const res = await request(url, { method, headers });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body };
  };
  const full = await get({});
  assert.equal(full.status, 200);
  assert.ok(full.body.equals(obj.bytes));
  assert.equal(full.headers['content-length'], '100000');
  assert.equal(full.headers['accept-ranges'], 'bytes');
  assert.equal(full.headers['content-type'], 'application/octet-stream');
  assert.equal(full.headers['content-range'], undefined);
  assert.equal(full.headers['content-encoding'], undefined);
  const etag = full.headers.etag as string;
  const lastModified = full.headers['last-modified'] as string;
  assert.equal(etag, `"${obj.hex}"`);
  assert.match(lastModified, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);

  const cases: Array<[string, number, number, number]> = [
    ['bytes=0-0', 206, 0, 0],
    ['bytes=10-19', 206, 10, 19],
    ['bytes=99990-', 206, 99_990, 99_999],
    ['bytes=-10', 206, 99_990, 99_999],
    ['bytes=-200000', 206, 0, 99_999],
    ['bytes=50000-999999999', 206, 50_000, 99_999],
    ['bytes=99999-99999', 206, 99_999, 99_999],
    ['Bytes = 5 - 9', 206, 5, 9],
  ];
  for (const [range, status, a, b] of cases) {
    const r = await get({ range });
    assert.equal(r.status, status, range);
    assert.equal(r.headers['content-range'], `bytes ${a}-${b}/100000`, range);
    assert.equal(r.headers['content-length'], String(b - a + 1), range);
    assert.ok(r.body.equals(obj.bytes.subarray(a, b + 1)), range);
    assert.equal(r.headers.etag, etag);
  }
  for (const range of ['bytes=100000-', 'bytes=100000-100001', 'bytes=-0', 'bytes=123456789-']) {
    const r = await get({ range });
    assert.equal(r.status, 416, range);
    assert.equal(r.headers['content-range'], 'bytes */100000', range);
    assert.equal(r.body.length, 0);
  }
  // Ignored Range headers (malformed, other units, several ranges): the full object with 200.
  for (const range of [
    'bytes=0-1,5-9',
    'bytes=9-5',
    'items=0-1',
    'bytes=abc',
    'bytes=1-2-3',
    'bytes=',
    `bytes=0-${'9'.repeat(300)}`,
  ]) {
    const r = await get({ range });
    assert.equal(r.status, 200, range);
    assert.ok(r.body.equals(obj.bytes), range);
  }
  const head = await get({}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '100000');
  assert.equal(head.body.length, 0);
  const headRange = await get({ range: 'bytes=0-1048575' }, 'HEAD');
  assert.equal(headRange.status, 206);
  assert.equal(headRange.headers['content-range'], 'bytes 0-99999/100000');
  assert.equal(headRange.headers['content-length'], '100000');
  // If-Range: matching ETag honours the range, a different one gets the whole object.
  assert.equal((await get({ range: 'bytes=0-9', 'if-range': etag })).status, 206);
  assert.equal((await get({ range: 'bytes=0-9', 'if-range': lastModified })).status, 206);
  assert.equal((await get({ range: 'bytes=0-9', 'if-range': '"other"' })).status, 200);
  assert.equal((await get({ range: 'bytes=0-9', 'if-range': 'Mon, 01 Jan 2001 00:00:00 GMT' })).status, 200);
  // Preconditions.
  const nm = await get({ 'if-none-match': etag });
  assert.equal(nm.status, 304);
  assert.equal(nm.body.length, 0);
  assert.equal((await get({ 'if-none-match': '"other"' })).status, 200);
  assert.equal((await get({ 'if-modified-since': lastModified })).status, 304);
  assert.equal((await get({ 'if-modified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' })).status, 200);
  assert.equal((await get({ 'if-match': '"other"' })).status, 412);
  assert.equal((await get({ 'if-match': etag, range: 'bytes=1-2' })).status, 206);
  assert.equal((await get({ 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' })).status, 412);
  // Compression is never applied.
  const gz = await get({ 'accept-encoding': 'gzip, deflate, br, xpress' });
  assert.equal(gz.headers['content-encoding'], undefined);
  assert.ok(gz.body.equals(obj.bytes));
});

void test('URL spellings: folder ignored, case-insensitive, missing extension 403, bad names 404', async (t) => {
  const srv = await startContentServer(t);
  const obj = await ingestRandom(srv.store, 1000);
  const lower = obj.hex.toLowerCase();
  const status = async (path: string) =>
    (await rawRequest(srv.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).status;
  for (const path of [
    `/Content/${obj.hex.slice(38)}/${obj.hex}.exe`,
    `/Content/0${obj.hex.slice(39)}/${obj.hex}.exe`,
    `/Content/${obj.hex.slice(39)}/${obj.hex}.exe`,
    `/Content/ZZ/${obj.hex}.exe`,
    `/content/${obj.hex.slice(38)}/${lower}.EXE`,
    `/CONTENT/aa/${obj.hex}.psf`,
    `/Content/AB/${obj.hex}.exe?cache=1`,
  ]) {
    assert.equal(await status(path), 200, path);
  }
  assert.equal(await status(`/Content/AB/${obj.hex}`), 403);
  assert.equal(await status(`/Content/AB/${obj.hex.slice(1)}.exe`), 404);
  assert.equal(await status(`/Content/AB/${obj.hex}0.exe`), 404);
  assert.equal(await status(`/Content/AB/${obj.hex.slice(1)}G.exe`), 404);
  assert.equal(await status(`/Content/AB/${'0'.repeat(40)}.exe`), 404);
  assert.equal(await status(`/Content/${obj.hex}.exe`), 404);
  assert.equal(await status(`/Content/AB/CD/${obj.hex}.exe`), 404);
  assert.equal(await status(`/Content/AB/${obj.hex}.`), 404);
  // With a case-insensitive router every mixed spelling works too.
  const ci = await startContentServer(t, { caseSensitive: false });
  const obj2 = await ingestRandom(ci.store, 10);
  const r = await rawRequest(
    ci.port,
    `GET /CoNtEnT/x/${obj2.hex.toLowerCase()}.Cab HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(r.status, 200);
  assert.ok(r.body.equals(obj2.bytes));
});

void test('hostile paths never read outside the store root', async (t) => {
  const srv = await startContentServer(t);
  const obj = await ingestRandom(srv.store, 4096);
  const H = obj.hex;
  const C = srv.canarySha1;
  // A symlink planted inside the store, named by the canary's digest, pointing at the canary outside.
  await mkdir(join(srv.storeRoot, C.slice(38)), { recursive: true });
  await symlink(join(srv.dir, C), join(srv.storeRoot, C.slice(38), C));
  await writeFile(join(srv.storeRoot, C.slice(38), `${C}.meta`), Buffer.alloc(56));
  const hostile: Array<string | Buffer> = [
    `/Content/../${C}.exe`,
    `/Content/AB/../../${C}.exe`,
    `/Content/AB/../../canary.txt`,
    `/Content/%2e%2e/${C}.exe`,
    `/Content/%2E%2E/%2E%2E/${C}.exe`,
    `/Content/%2e%2e%2f${C}.exe`,
    `/Content/AB/%2e%2e%2f%2e%2e%2f${C}.exe`,
    `/Content/..%2f${C}.exe`,
    `/Content/..%5c${C}.exe`,
    `/Content/AB/..%5c..%5c${C}.exe`,
    `/Content/..\\${C}.exe`,
    `/Content/AB\\..\\..\\${C}.exe`,
    `/Content/%252e%252e/${C}.exe`,
    `/Content/%252e%252e%252f${C}.exe`,
    `/Content/AB/${H}.exe%00`,
    `/Content/AB/${H}%00.exe`,
    `/Content/AB/%00${H}.exe`,
    `/Content/%c0%ae%c0%ae/${C}.exe`,
    `/Content/%c0%ae%c0%ae%c0%af${C}.exe`,
    `/Content/%e0%80%ae%e0%80%ae/${C}.exe`,
    `/Content/%u002e%u002e/${C}.exe`,
    `/Content/AB/%ef%bc%8e%ef%bc%8e/${C}.exe`,
    `//host/share/Content/AB/${H}.exe`,
    `\\\\host\\share\\${C}.exe`,
    `/Content/\\\\host\\share\\${C}.exe`,
    `/Content//host/share/${H}.exe`,
    `/Content/AB//${H}.exe`,
    `/Content/${srv.dir}/${C}.exe`,
    `/Content/AB/${srv.dir}/${C}.exe`,
    `/etc/passwd`,
    `/Content/AB/..%2f..%2f..%2fetc%2fpasswd`,
    `/Content/AB/....//....//${C}.exe`,
    `/Content/AB/.%2e/${C}.exe`,
    `/Content/AB/%2e./${C}.exe`,
    `/Content/AB/${H}.exe/..`,
    `/Content/AB/${H}.exe/../../${C}.exe`,
    `/Content/AB/..;/${C}.exe`,
    `/Content/.../${C}.exe`,
    `/Content/AB/file:///etc/passwd`,
    `/Content/C:%5cWindows%5cwin.ini`,
    `/Content/C:\\Windows\\win.ini`,
    `/Content/AB/${C.slice(0, 39)}%41.exe`,
    `/Content/${C.slice(38)}/${C}.exe`,
    `/Content/AB/${C}.exe`,
    Buffer.concat([Buffer.from(`/Content/AB/${H}`), Buffer.from([0]), Buffer.from('.exe')]),
    Buffer.concat([
      Buffer.from('/Content/'),
      Buffer.from([0xc0, 0xae, 0xc0, 0xae]),
      Buffer.from(`/${C}.exe`),
    ]),
    `/Content/AB/${'A'.repeat(600)}.exe`,
  ];
  assert.ok(hostile.length >= 30);
  for (const path of hostile) {
    const req = Buffer.concat([
      Buffer.from('GET '),
      Buffer.from(path),
      Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ]);
    const r = await rawRequest(srv.port, req);
    const shown = Buffer.isBuffer(path) ? path.toString('latin1') : path;
    assert.ok([0, 400, 403, 404].includes(r.status), `${shown} -> ${r.status}`);
    assert.ok(!r.body.includes(canaryText), `${shown} leaked the canary`);
  }
  // The store was only ever asked for validated digests (paths come from nothing else).
  for (const key of srv.openedKeys) {
    assert.equal(typeof key, 'string');
    assert.equal(parseSha1Hex(key as string), key);
  }
  // The server is still healthy and serves the real object.
  const ok = await rawRequest(
    srv.port,
    `GET /Content/AB/${H}.exe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(ok.status, 200);
  assert.ok(ok.body.equals(obj.bytes));
});

void test('corrupted and truncated objects are not served once detected', async (t) => {
  const srv = await startContentServer(t);
  const obj = await ingestRandom(srv.store, 300_000);
  const path = join(srv.storeRoot, obj.hex.slice(38), obj.hex);
  const url = `${srv.origin}/Content/${obj.hex.slice(38)}/${obj.hex}.exe`;
  assert.equal((await request(url)).statusCode, 200);
  // Same-size corruption cannot be seen without re-hashing: verify finds it and takes it out of service.
  const fh = await open(path, 'r+');
  await fh.write(Buffer.from('evil'), 0, 4, 1234);
  await fh.close();
  const outcome = await srv.store.verify(obj.sha1);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.reason, 'sha1');
  for (const range of [undefined, 'bytes=0-1023', 'bytes=1000-2000']) {
    const res = await request(url, range === undefined ? {} : { headers: { range } });
    await res.body.dump();
    assert.equal(res.statusCode, 404, String(range));
  }
  // Truncation is caught at open (the file is not the one that was verified) even before verify runs.
  const obj2 = await ingestRandom(srv.store, 300_000);
  await truncate(join(srv.storeRoot, obj2.hex.slice(38), obj2.hex), 299_999);
  const res2 = await request(`${srv.origin}/Content/${obj2.hex.slice(38)}/${obj2.hex}.exe`, {
    headers: { range: 'bytes=0-1023' },
  });
  await res2.body.dump();
  assert.equal(res2.statusCode, 503);
  await srv.store.settled();
  const res3 = await request(`${srv.origin}/Content/${obj2.hex.slice(38)}/${obj2.hex}.exe`);
  await res3.body.dump();
  assert.equal(res3.statusCode, 404);
});
