/**
 * Two `patchbay content download` at once on one host (issue 10 item 12, for the content lease): real CLI
 * processes on SQLite and PostgreSQL against the product fake upstream, whose `/Content/` answers drip until
 * the rivals have exited, so the first download holds the lease throughout. Exactly one runs; the others
 * exit 75 naming it (host, pid, since); history holds the one content run. With the bare host name as the
 * lease holder, every process on the host was the same holder and all of them ran.
 */
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { hostname, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase } from '../../../src/storage/index.js';
import { runCliProcess, startCliProcess } from '../../helpers/cli.js';
import { productEnv, startProductUpstream } from '../e2e/product-upstream.js';
import { databaseTarget, pgSkip, stopPostgres, type DbKind } from '../sync/harness.js';
import { writeSyncIni } from './sync-cli-setup.js';

const rivals = 2;

function contentRace(kind: DbKind): void {
  void test(`[${kind}] racing patchbay content download: one runs, the others exit 75 naming it`, async (t: TestContext) => {
    const target = await databaseTarget(t, kind);
    const dir = await mkdtemp(join(tmpdir(), 'pb-content-race-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const up = await startProductUpstream(t);
    await writeSyncIni(dir, target, up.serverSyncUrl);
    const opts = {
      cwd: dir,
      env: { ...productEnv(up, dir), PATCHBAY_CONTENT_MODE: 'all' },
      timeoutMs: 120_000,
    };
    const sync = await runCliProcess(['sync', '--no-content'], opts);
    assert.equal(sync.code, 0, sync.stderr);

    const drip = { bytes: 16 * 1024, delayMs: 400 };
    up.content.faults.drip = drip;
    const first = startCliProcess(['content', 'download', '--json'], opts);
    // Its first file request means it holds the lease and is downloading.
    for (let i = 0; up.contentRequests.length === 0; i++) {
      assert.ok(i < 600, 'the first download reached the upstream');
      await sleep(100);
    }
    const refused = await Promise.all(
      Array.from({ length: rivals }, () => startCliProcess(['content', 'download'], opts).done),
    );
    drip.delayMs = 0;
    const ran = await first.done;

    assert.equal(ran.code, 0, ran.stderr);
    const r = JSON.parse(ran.stdout) as { filesDownloaded: number; filesFailed: number };
    assert.deepEqual([r.filesDownloaded, r.filesFailed], [3, 0]);
    for (const rival of refused) {
      assert.equal(rival.code, 75, `a rival ran too:\n${rival.stdout}\n${rival.stderr}`);
      assert.match(
        rival.stderr,
        new RegExp(
          `^patchbay: PB_ERR_SYNC_BUSY: a content download is already running \\(host ${hostname()}, pid ${first.pid}, since \\d{4}-\\d\\d-\\d\\dT`,
        ),
      );
      assert.equal(rival.stdout, '');
    }

    const db = openDatabase(target);
    try {
      const runs = await db.db
        .selectFrom('sync_runs')
        .select(['outcome', 'node_id'])
        .where('kind', '=', 'content')
        .execute();
      // Refused attempts are no runs: history holds the one download, under its process.
      assert.deepEqual(runs, [{ outcome: 'succeeded', node_id: `${hostname()}:${first.pid}` }]);
    } finally {
      await db.close();
    }
  });
}

contentRace('sqlite');
if (pgSkip !== undefined)
  void describe('racing patchbay content download on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  contentRace('postgres');
}
