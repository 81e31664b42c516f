/**
 * Two or three `patchbay sync` at once on one host (issue 10 item 12): real CLI processes racing against the
 * catalog-mode fake upstream (slowed down so that the racers overlap), on SQLite and PostgreSQL. Exactly one
 * runs; the others exit 75 naming the holder (host, pid, since); history holds one true run per round and
 * never marks the running one cancelled; a holder killed with SIGKILL does not block the next sync.
 */
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UpdateId } from '../../../src/domain/ids.js';
import { openDatabase } from '../../../src/storage/index.js';
import { startCliProcess, type CliResult } from '../../helpers/cli.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog, ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { databaseTarget, pgSkip, stopPostgres, type DbKind } from '../sync/harness.js';
import { writeSyncIni } from './sync-cli-setup.js';

const rounds = 10;
const racers = 3;

interface Racer extends CliResult {
  readonly pid: number;
}

function startSync(cwd: string, onStderr?: (s: string) => void): { pid: number; done: Promise<Racer> } {
  const { pid, done } = startCliProcess(['sync', '--no-content'], { cwd, ...(onStderr ? { onStderr } : {}) });
  return { pid, done: done.then((r) => ({ ...r, pid })) };
}

function raceScenario(kind: DbKind): void {
  void test(
    `[${kind}] ${rounds} rounds of ${racers} racing patchbay sync: one runs, the others exit 75 naming it`,
    { timeout: 600_000 },
    async (t: TestContext) => {
      const target = await databaseTarget(t, kind);
      const dir = await mkdtemp(join(tmpdir(), 'pb-sync-race-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      // Every GetUpdateData answer waits, so a run holds the lease long after its rivals have started.
      const up = await startCatalogUpstream({
        entries: buildRealCatalog().entries,
        faults: { delayMs: 2500 },
      });
      t.after(() => up.close());
      await writeSyncIni(dir, target, up.serverSyncUrl);

      for (let round = 0; round < rounds; round++) {
        // A new revision each round, so every round's run fetches (and waits on) the upstream.
        const u = `ace00000-0000-4000-8000-${String(round).padStart(12, '0')}`;
        up.put({
          identity: { updateId: u as UpdateId, revisionNumber: 100 },
          text: syntheticDocument(u, 100, { categoryClauses: [[ids.defender], [ids.definitionUpdates]] }),
          listed: true,
        });
        const results = await Promise.all(Array.from({ length: racers }, () => startSync(dir).done));
        const ran = results.filter((r) => r.code === 0);
        const refused = results.filter((r) => r.code === 75);
        assert.equal(
          ran.length,
          1,
          `round ${round}: exactly one runs\n${results.map((r) => r.stderr).join('\n')}`,
        );
        assert.equal(refused.length, racers - 1, `round ${round}: the others exit 75`);
        for (const r of refused)
          assert.match(
            r.stderr,
            new RegExp(
              `PB_ERR_SYNC_BUSY: another synchronization is already running \\(host ${hostname()}, pid ${ran[0]!.pid}, since \\d{4}-\\d\\d-\\d\\dT`,
            ),
          );
      }

      // A holder killed mid-run: the next sync takes its lease at once instead of waiting for expiry.
      let killed = false;
      const victim = startSync(dir, (err) => {
        if (!killed && /sync: updates/.test(err)) {
          killed = true;
          process.kill(victim.pid, 'SIGKILL');
        }
      });
      await victim.done;
      assert.ok(killed, 'the victim was killed while it held the lease');
      const next = await startSync(dir).done;
      assert.equal(next.code, 0, next.stderr);

      const db = openDatabase(target);
      try {
        const runs = await db.db
          .selectFrom('sync_runs')
          .select(['outcome', 'node_id'])
          .where('kind', '=', 'metadata')
          .orderBy('sync_run_id')
          .execute();
        // One run per round (refused attempts are no runs), then the killed one (cancelled: it did die) and
        // the one after it.
        assert.deepEqual(
          runs.map((r) => r.outcome),
          [...Array.from({ length: rounds }, () => 'succeeded'), 'cancelled', 'succeeded'],
        );
        assert.equal(runs[rounds]!.node_id, `${hostname()}:${victim.pid}`);
      } finally {
        await db.close();
      }
    },
  );
}

raceScenario('sqlite');
if (pgSkip !== undefined)
  void describe('racing patchbay sync on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  raceScenario('postgres');
}
