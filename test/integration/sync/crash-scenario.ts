/**
 * kill -9 during sync (targets R2): the sync runs in a child process against a catalog-mode upstream on
 * loopback and is killed with SIGKILL at random moments several times, then allowed to finish. After every
 * kill and at the end: one active generation at most and it is complete (no half-visible generation), every
 * stored document re-parses with its identity, no duplicate identities; at the end the full catalog is active,
 * and the resumed runs re-fetched at most one batch per kill (revisions already held are never fetched again).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { openDatabase } from '../../../src/storage/index.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog, ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { activeMembers, checkIntegrity, databaseTarget, type DbKind } from './harness.js';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

function runChild(
  arg: string,
  killAfterMs: number | undefined,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, arg], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

export function crashScenario(kind: DbKind): void {
  void test(
    `[${kind}] kill -9 at random points during sync, then resume: integrity holds and the catalog completes`,
    { timeout: 240_000 },
    async (t: TestContext) => {
      const target = await databaseTarget(t, kind);
      const catalog = buildRealCatalog();
      const extra = Array.from(
        { length: 120 },
        (_, n) => `c0ffee00-0000-4000-8000-${String(n).padStart(12, '0')}`,
      );
      const entries = [
        ...catalog.entries,
        ...extra.map((u) => ({
          identity: { updateId: u, revisionNumber: 100 },
          text: syntheticDocument(u, 100, { prerequisites: [[ids.definitionUpdates], [ids.defender]] }),
          listed: true,
        })),
      ];
      const up = await startCatalogUpstream({ entries, maxUpdatesPerRequest: 50, faults: { delayMs: 40 } });
      t.after(() => up.close());
      const arg = JSON.stringify({ target, upstreamUrl: up.serverSyncUrl });
      const check = async () => {
        const db = openDatabase(target);
        try {
          await checkIntegrity(db, { allowStaged: true });
          const active = await db.db
            .selectFrom('catalog_generations')
            .selectAll()
            .where('state', '=', 'active')
            .execute();
          for (const g of active) {
            const n = await db.db
              .selectFrom('generation_members')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('generation_id', '=', g.generation_id)
              .executeTakeFirstOrThrow();
            assert.equal(Number(n.n), g.member_count, 'the active generation is complete');
          }
        } finally {
          await db.close();
        }
      };
      let kills = 0;
      for (let i = 0; i < 5; i++) {
        const r = await runChild(arg, 900 + Math.floor(Math.random() * 2500));
        if (r.signal === 'SIGKILL') kills++;
        else assert.equal(r.code, 0, r.stderr);
        await check();
      }
      const final = await runChild(arg, undefined);
      assert.equal(final.code, 0, final.stderr);
      await check();
      const db = openDatabase(target);
      t.after(() => db.close());
      const members = await activeMembers(db);
      const expected =
        [...catalog.real, ...catalog.synthetic].filter((i) => i.updateId !== ids.productOnlyLeaf).length +
        extra.length;
      assert.equal(members.size, expected);
      assert.ok(kills >= 1, 'at least one run was killed mid-sync');
      // Resume re-fetches at most the batch in flight per kill (plus nothing for what is held).
      const requested = up.updateDataCalls.reduce((n, c) => n + c.length, 0);
      assert.ok(
        requested <= expected + (kills + 1) * 50,
        `requested ${requested} for ${expected} revisions with ${kills} kills`,
      );
      const runs = await db.db.selectFrom('sync_runs').select(['outcome']).execute();
      assert.equal(
        runs.filter((r) => r.outcome === 'running').length,
        0,
        'killed runs are closed by the next run',
      );
    },
  );
}
