import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeContentUpstream, type FakeFile } from './fake-content-upstream.js';
import { insertFiles, openDownstream, readStored } from './content-fixtures.js';
import { downloadContent } from './imports.js';

const childPath = fileURLToPath(new URL('./download-child.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

async function partialBytes(root: string): Promise<number> {
  let n = 0;
  for (const name of await readdir(join(root, '.partial')))
    n += (await stat(join(root, '.partial', name))).size;
  return n;
}

void test('kill -9 during a download: the next run re-fetches only the unwritten tail of the one file in flight', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const files: FakeFile[] = [];
  for (let i = 0; i < 5; i++) files.push(await up.addRandom(3_000_000 + i * 1000, `k${i}.cab`));
  await insertFiles(down.db, files);
  // Slow enough that the child is caught mid-file: 64 KiB every 4 ms (~16 MB/s).
  up.faults.drip = { bytes: 64 * 1024, delayMs: 4 };

  const child = spawn(process.execPath, ['--import', tsxLoader, childPath], {
    env: {
      ...process.env,
      PB_CHILD_DB: down.dbPath,
      PB_CHILD_STORE: down.store.root,
      PB_CHILD_UPSTREAM: up.serverSyncUrl,
      PB_CHILD_NODE: 'node-a',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.after(() => child.kill('SIGKILL'));

  // Wait until two files are stored and the third has at least 1 MiB on disk, then kill -9.
  const deadline = Date.now() + 60_000;
  for (;;) {
    assert.ok(Date.now() < deadline, `child made no progress: ${stderr}`);
    assert.equal(child.exitCode, null, `child exited early: ${stderr}`);
    const verified = await down.db.db
      .selectFrom('files')
      .select('sha1')
      .where('content_state', '=', 'verified')
      .execute();
    if (verified.length >= 2 && (await partialBytes(down.store.root)) >= 1 << 20) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  await exited;

  const before = await down.db.db.selectFrom('files').select(['sha1', 'content_state']).execute();
  const verifiedHex = new Set(
    before.filter((r) => r.content_state === 'verified').map((r) => r.sha1.toString('hex').toUpperCase()),
  );
  const inFlight = before.filter((r) => r.content_state === 'downloading');
  assert.equal(inFlight.length, 1, 'exactly one file was in flight (concurrency 1)');
  const kept = await partialBytes(down.store.root);
  const remaining = files.filter((f) => !verifiedHex.has(f.hex)).reduce((a, f) => a + f.size, 0);

  up.faults.drip = undefined;
  const sentBefore = up.bytesSent();
  const requestsBefore = up.requests.length;
  const result = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', nodeId: 'node-a' },
  );
  const fetched = up.bytesSent() - sentBefore;
  const run2 = up.requests.slice(requestsBefore);
  assert.equal(result.filesFailed, 0, JSON.stringify(result.failures));
  assert.equal(fetched, remaining - kept, 'only bytes not already on disk are fetched');
  assert.equal(result.bytesResumed, kept);
  assert.ok(
    run2.every((r) => !verifiedHex.has(r.hex)),
    'stored files are not requested again',
  );
  const inFlightHex = inFlight[0]!.sha1.toString('hex').toUpperCase();
  assert.deepEqual(
    run2.filter((r) => r.hex === inFlightHex).map((r) => r.range),
    [`bytes=${kept}-`],
  );
  for (const f of files) assert.deepEqual(await readStored(down.store, f), f.bytes, f.name);
  const audit = await down.store.verifyAll({ action: 'report' });
  assert.deepEqual(audit, { checked: files.length, bad: [] });
  t.diagnostic(
    `killed with ${verifiedHex.size} files stored and ${kept} bytes of the next kept; resume fetched ${fetched} of ${remaining} remaining bytes`,
  );
});
