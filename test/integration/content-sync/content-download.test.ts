import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeContentUpstream } from './fake-content-upstream.js';
import { insertFiles, openDownstream, readStored, stateOf } from './content-fixtures.js';
import {
  contentSourceFor,
  contentSourceUrl,
  contentStatus,
  downloadContent,
  verifyContent,
} from './imports.js';

const fast = { retryBaseMs: 5, retryMaxMs: 20 };

void test('source URLs: /Content/<XX>/<SHA1>.<ext> on the upstream origin, MUUrl for Microsoft Update', () => {
  const f = {
    sha1: Buffer.from('00'.repeat(19) + 'ab', 'hex'),
    name: 'windows10.0-kb1-x64.CAB',
    muUrl: null,
  };
  assert.equal(
    contentSourceFor('http://wsus.example:8530/ServerSyncWebService/ServerSyncWebService.asmx'),
    'upstream-content',
  );
  assert.equal(
    contentSourceFor('https://sws.update.microsoft.com/ServerSyncWebService/ServerSyncWebService.asmx'),
    'microsoft-update',
  );
  assert.equal(
    contentSourceUrl(f, 'upstream-content', 'http://wsus.example:8530/ServerSyncWebService/x.asmx'),
    `http://wsus.example:8530/Content/AB/${'00'.repeat(19)}AB.CAB`,
  );
  assert.equal(contentSourceUrl(f, 'microsoft-update', 'https://sws.update.microsoft.com/x'), undefined);
  const mu = 'http://download.windowsupdate.com/c/msdownload/update/software/secu/2022/08/x_ab.cab';
  assert.equal(
    contentSourceUrl({ ...f, muUrl: mu }, 'microsoft-update', 'https://sws.update.microsoft.com/x'),
    mu,
  );
  assert.equal(
    contentSourceUrl({ ...f, muUrl: 'file:///etc/passwd' }, 'microsoft-update', 'https://x/'),
    undefined,
  );
});

void test('parallel download stores every file byte-exact and marks it verified', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const sizes = [1, 1000, 65_537, 1 << 20, (1 << 20) + 1, 3_000_000, 17, 250_000, 2_500_001, 4096];
  const files = [];
  for (const [i, s] of sizes.entries()) files.push(await up.addRandom(s, `f${i}.cab`));
  await insertFiles(down.db, files);
  let maxInFlight = 0;
  const result = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    {
      upstreamUrl: up.serverSyncUrl,
      mode: 'all',
      concurrency: 4,
      onProgress: (p) => {
        maxInFlight = Math.max(maxInFlight, p.filesDone);
      },
      ...fast,
    },
  );
  const total = sizes.reduce((a, b) => a + b, 0);
  assert.equal(result.filesDownloaded, files.length);
  assert.equal(result.filesFailed, 0);
  assert.equal(result.bytesDownloaded, total);
  assert.equal(up.bytesSent(), total);
  assert.equal(up.requests.length, files.length);
  for (const f of files) {
    assert.deepEqual(await readStored(down.store, f), f.bytes, f.name);
    assert.equal((await stateOf(down.db, f)).content_state, 'verified');
  }
  const status = await contentStatus(down.db);
  assert.deepEqual(status.states.verified, { files: files.length, bytes: total });
  assert.equal(status.states.queued.files, 0);
  // The run is in the history with its counters.
  const run = await down.db.db
    .selectFrom('sync_runs')
    .selectAll()
    .where('sync_run_id', '=', result.syncRunId)
    .executeTakeFirstOrThrow();
  assert.equal(run.kind, 'content');
  assert.equal(run.outcome, 'succeeded');
  assert.equal((JSON.parse(run.counters) as Record<string, number>).bytesDownloaded, total);

  // A second run has nothing to do and fetches nothing.
  const again = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', ...fast },
  );
  assert.equal(again.filesTotal, 0);
  assert.equal(up.requests.length, files.length);
});

void test('a connection cut mid-body resumes with a Range request from the kept bytes', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const f = await up.addRandom(4_000_000, 'big.psf');
  await insertFiles(down.db, [f]);
  up.faults.cutAfter.set(f.hex, 1_500_000);
  const result = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', ...fast },
  );
  assert.equal(result.filesFailed, 0, JSON.stringify(result.failures));
  assert.equal(up.requests.length, 2);
  assert.equal(up.requests[0]!.range, undefined);
  const m = /^bytes=(\d+)-$/.exec(up.requests[1]!.range ?? '');
  assert.ok(m, `second request resumes: ${up.requests[1]!.range}`);
  const resumedAt = Number(m[1]);
  assert.ok(resumedAt > 0 && resumedAt <= 1_500_000, `resumed at ${resumedAt}`);
  assert.equal(result.bytesResumed, resumedAt);
  assert.equal(up.requests[1]!.status, 206);
  assert.deepEqual(await readStored(down.store, f), f.bytes);
  assert.equal(await down.store.partialSize(f.sha1), 0);
  assert.equal((await stateOf(down.db, f)).attempts, 2, 'two HTTP attempts, both counted');
});

void test('a wrong digest is never stored: failed with the reason, retried with backoff, later fixed', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const f = await up.addRandom(300_000, 'bad.exe');
  const g = await up.addRandom(10_000, 'good.exe');
  await insertFiles(down.db, [f, g]);
  up.faults.corrupt.set(f.hex, -1);
  const result = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', attemptsPerRun: 3, ...fast },
  );
  assert.equal(result.filesFailed, 1);
  assert.equal(result.filesDownloaded, 1);
  assert.equal(result.failures[0]?.code, 'PB_ERR_CONTENT_DIGEST_MISMATCH');
  assert.equal(up.requests.filter((r) => r.hex === f.hex).length, 3, 'three attempts in the run');
  assert.equal(await down.store.has(f.sha1), false);
  assert.equal(await down.store.partialSize(f.sha1), 0, 'no partial of bad bytes kept');
  const st = await stateOf(down.db, f);
  assert.equal(st.content_state, 'failed');
  assert.match(st.last_error ?? '', /PB_ERR_CONTENT_DIGEST_MISMATCH/);
  assert.equal(st.attempts, 3, 'the status counts the three attempts the log shows');
  assert.deepEqual(
    (await contentStatus(down.db)).recentFailures.map((x) => x.attempts),
    [3],
  );
  assert.equal((await stateOf(down.db, g)).content_state, 'verified');

  // Not due yet: a run right away leaves it alone.
  const early = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', failedRetryBaseMs: 3_600_000, ...fast },
  );
  assert.equal(early.filesTotal, 0);
  // The upstream is fixed and the backoff has passed: the file is fetched and stored.
  up.faults.corrupt.delete(f.hex);
  const later = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', failedRetryBaseMs: 0, ...fast },
  );
  assert.equal(later.filesDownloaded, 1);
  assert.deepEqual(await readStored(down.store, f), f.bytes);
  const status = await contentStatus(down.db);
  assert.equal(status.states.failed.files, 0);
});

void test('503 answers and a corrupt copy in transit are retried within the run', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const a = await up.addRandom(50_000, 'a.cab');
  const b = await up.addRandom(70_000, 'b.cab');
  await insertFiles(down.db, [a, b]);
  up.faults.unavailable.set(a.hex, 2);
  up.faults.corrupt.set(b.hex, 1);
  const result = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', attemptsPerRun: 4, ...fast },
  );
  assert.equal(result.filesFailed, 0);
  assert.deepEqual(
    up.requests.filter((r) => r.hex === a.hex).map((r) => r.status),
    [503, 503, 200],
  );
  assert.equal(up.requests.filter((r) => r.hex === b.hex).length, 2);
  assert.deepEqual(await readStored(down.store, a), a.bytes);
  assert.deepEqual(await readStored(down.store, b), b.bytes);

  // A missing file (404) is not retried in the run: it fails at once with the HTTP status.
  const ghost = { ...a, sha1: Buffer.alloc(20, 7), hex: '07'.repeat(20), name: 'ghost.cab' };
  await insertFiles(down.db, [ghost]);
  const r2 = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', attemptsPerRun: 4, ...fast },
  );
  assert.equal(r2.filesFailed, 1);
  assert.equal(r2.failures[0]?.code, 'PB_ERR_UPSTREAM_HTTP');
  assert.match((await stateOf(down.db, ghost)).last_error ?? '', /HTTP 404/);
});

void test('content verify quarantines a corrupted object and re-queues it; the next run restores it', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const files = [await up.addRandom(200_000, 'x.cab'), await up.addRandom(100_000, 'y.cab')];
  await insertFiles(down.db, files);
  await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', ...fast },
  );
  const victim = files[0]!;
  const path = join(down.store.root, victim.hex.slice(-2), victim.hex);
  const bytes = await readFile(path);
  bytes[1234] = bytes[1234]! ^ 0x01;
  await writeFile(path, bytes);

  const report = await verifyContent({ db: down.db, store: down.store });
  assert.equal(report.checked, 2);
  assert.deepEqual(report.bad, [{ sha1: victim.hex, reason: 'sha1' }]);
  assert.equal(report.requeued, 1);
  assert.equal((await stateOf(down.db, victim)).content_state, 'queued');
  assert.equal((await stateOf(down.db, files[1]!)).content_state, 'verified');
  assert.equal(await down.store.has(victim.sha1), false);
  assert.equal((await readdir(join(down.store.root, '.quarantine'))).length, 1);

  const sent = up.bytesSent();
  const again = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', ...fast },
  );
  assert.equal(again.filesDownloaded, 1);
  assert.equal(up.bytesSent() - sent, victim.size, 'only the bad file is fetched again');
  assert.deepEqual(await readStored(down.store, victim), victim.bytes);

  // A verified file whose object vanished is re-queued too.
  await down.store.delete(files[1]!.sha1);
  const r2 = await verifyContent({ db: down.db, store: down.store });
  assert.equal(r2.missing, 1);
  assert.equal((await stateOf(down.db, files[1]!)).content_state, 'queued');
});

void test('Microsoft Update source: files come from their MUUrl; a file without one fails with a reason', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const f = await up.addRandom(20_000, 'am_delta.exe');
  const g = await up.addRandom(30_000, 'nourl.exe');
  await insertFiles(down.db, [f], 'queued', (x) => `${up.origin}/Content/${x.hex.slice(-2)}/${x.hex}.exe`);
  await insertFiles(down.db, [g]);
  const result = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', source: 'microsoft-update', ...fast },
  );
  assert.equal(result.filesDownloaded, 1);
  assert.equal(result.failures[0]?.code, 'PB_ERR_NOT_FOUND');
  assert.match((await stateOf(down.db, g)).last_error ?? '', /no download URL/);
  assert.deepEqual(await readStored(down.store, f), f.bytes);
});
