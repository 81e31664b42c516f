/**
 * Issue 10 item 1 on a running server: `startPatchbay` (what `patchbay serve` runs) with its scheduled sync
 * against an upstream whose content answers overlong, endless, truncated, reset mid-body, with a wrong digest,
 * slow-dripping, redirect loops and garbage headers. Windows-like clients keep scanning throughout, the
 * server keeps serving, every file failure is in the history with its typed error and both runs end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { startPatchbay } from '../../../src/main.js';
import { createRepositories, openDatabase } from '../../../src/storage/index.js';
import { freePort } from '../../helpers/cli.js';
import { ids } from '../../helpers/fake-upstream/real-catalog.js';
import { postSoap, silentLogger } from '../client-service/harness.js';
import { simulatedScan } from '../client-service/wua-facts.js';
import { SoapFaultError, WuspClient } from '../client-service/wusp-client.js';
import { expectedCode, hostilities } from '../content-sync/hostile-content-upstream.js';
import { hostileProduct, startHostileCatalog } from '../content-sync/hostile-catalog.js';

/** One full scan as the WUA runs it (handshake, registration, SyncUpdates until done); throws on a fault. */
async function scanOnce(baseUrl: string): Promise<number> {
  const h = {
    baseUrl,
    post: (p: string, b: string, hd?: Record<string, string>) => postSoap(baseUrl + p, b, hd),
  };
  const wua = new WuspClient(h as never, randomUUID());
  await wua.handshake();
  await wua.register();
  const { report } = await simulatedScan(wua);
  return report.delivered.length;
}

/**
 * A scan that, like the WUA, comes back after a ServerBusy (the overload shedding on a loaded test machine);
 * any other fault, or busy for 10 s, fails the test.
 */
async function scan(baseUrl: string): Promise<number> {
  for (let n = 0; ; n++) {
    try {
      return await scanOnce(baseUrl);
    } catch (e) {
      if (!(e instanceof SoapFaultError) || e.errorCode !== 'ServerBusy' || n >= 20) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

void test(
  'a running server with a scheduled sync against a hostile upstream keeps serving scans; every run ends',
  { timeout: 90_000 },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'pb-hostile-serve-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const { up, files, hits } = await startHostileCatalog(t, ['good', ...hostilities]);

    // The one daily slot is two seconds after the scheduler starts, on its clock: the offset is fixed at the
    // scheduler's first reading, so a slow start on a loaded machine cannot put the slot in the past (the
    // slot would then be tomorrow's and no sync would run).
    const slot = new Date(Math.ceil((Date.now() + 120_000) / 60_000) * 60_000);
    let offset: number | undefined;
    const hhmm = `${String(slot.getHours()).padStart(2, '0')}:${String(slot.getMinutes()).padStart(2, '0')}`;
    const config = await loadConfigOrThrow({
      env: {
        PATCHBAY_SERVER_DATA_DIR: dir,
        PATCHBAY_SERVER_BIND: '127.0.0.1',
        PATCHBAY_SERVER_HTTP_PORT: String(await freePort()),
        PATCHBAY_ADMIN_BIND: '127.0.0.1',
        PATCHBAY_ADMIN_PORT: String(await freePort()),
        PATCHBAY_CONTENT_MODE: 'all',
        PATCHBAY_UPSTREAM_URL: up.serverSyncUrl,
        PATCHBAY_UPSTREAM_RETRIES: '0',
        PATCHBAY_UPSTREAM_REQUEST_TIMEOUT_SECONDS: '1',
        PATCHBAY_SELECTION_PRODUCTS: hostileProduct,
        PATCHBAY_SELECTION_CLASSIFICATIONS: ids.definitionUpdates,
        PATCHBAY_SYNC_FIRST_SYNC_TIME: hhmm,
        PATCHBAY_SYNC_SYNCS_PER_DAY: '1',
        PATCHBAY_SYNC_JITTER_MINUTES: '0',
      },
    });
    const server = await startPatchbay(config, silentLogger, {
      schedulerClock: {
        now: () => Date.now() + (offset ??= slot.getTime() - 2_000 - Date.now()),
        setTimer: (fn, ms) => {
          const timer = setTimeout(fn, ms);
          timer.unref();
          return () => clearTimeout(timer);
        },
      },
    });
    t.after(() => server.close());
    const baseUrl = server.addresses.http!;
    const db = openDatabase({ driver: 'sqlite', path: config.database.path });
    t.after(() => db.close());
    const repos = createRepositories(db);

    // Scans before, during and after the sync; each one must succeed.
    let scans = 0;
    const runsOver = async () => {
      const runs = await repos.syncRuns.list(10);
      return runs.some((r) => r.kind === 'content') && runs.every((r) => r.finishedAt !== null);
    };
    const deadline = Date.now() + 60_000;
    while (!(await runsOver())) {
      assert.ok(Date.now() < deadline, 'the scheduled sync and content runs end');
      await scan(baseUrl);
      scans++;
    }
    const delivered = await scan(baseUrl);
    scans++;
    assert.ok(scans >= 3, `clients scanned throughout (${scans} scans)`);
    assert.ok(delivered >= 3 + hostilities.length + 1, 'after the sync the new catalog is served');
    assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);

    const runs = await repos.syncRuns.list(10);
    const meta = runs.find((r) => r.kind !== 'content');
    const content = runs.find((r) => r.kind === 'content');
    // One runner at a time in this process too: the automatic download once ran beside the pipeline's
    // content step under the same lease holder, retrying the same files in a second, overlapping run.
    assert.equal(runs.filter((r) => r.kind === 'content').length, 1, 'one content run');
    assert.equal(meta?.triggerSource, 'schedule');
    assert.equal(meta?.outcome, 'succeeded');
    assert.equal(content?.outcome, 'partial');
    const failures = (content?.error?.detail as { failures: { sha1: string; code: string }[] }).failures;
    for (const h of hostilities) {
      assert.equal(failures.find((f) => f.sha1 === files.get(h)!.hex)?.code, expectedCode[h], h);
      assert.ok((hits.get(h) ?? 0) >= 1, `${h} was requested`);
    }
    const good = await db.db
      .selectFrom('files')
      .select('content_state')
      .where('sha1', '=', files.get('good')!.sha1)
      .executeTakeFirstOrThrow();
    assert.equal(good.content_state, 'verified');
  },
);
