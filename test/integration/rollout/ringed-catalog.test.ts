/**
 * Ringed catalog changes over real HTTP on SQLite and PostgreSQL (docs/rings.md "Ringed catalog changes"):
 * computers in ring groups scan a real client server; a new generation is served to ring 0 only; the gate
 * (evaluated on a simulated clock: `step(now)`) holds a generation whose new revision makes ring-0 clients
 * fault or stop scanning, and the other rings keep being offered the previous generation byte for byte;
 * a good generation goes ring by ring to everyone; promote, hold and abort by hand; a restart resumes.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { PatchbayMetrics } from '../../../src/observability/index.js';
import { storageScrapeSource } from '../../../src/operations/index.js';
import { describe, test } from 'node:test';
import { createRepositories } from '../../../src/storage/index.js';
import { CatalogRolloutService } from '../../../src/sync/index.js';
import { dialects } from '../client-service/harness.js';
import { badUpdate, freshScan, hour, reportDetectionFailed, scan, startFleet } from './rollout-fleet.js';

const soak = 4 * hour;

for (const { dialect, skip } of dialects) {
  void describe(`ringed catalog changes (${dialect})`, { skip }, () => {
    void test('a generation that makes ring-0 clients fault is held; ring 1 keeps the previous generation byte-identically; abort returns ring 0', async (t) => {
      const f = await startFleet(t, dialect, { perRing: 8, soakMs: soak });
      // Before the change: every computer scans generation A; ring 1's and ring 0's answers are kept.
      const before1 = await Promise.all(f.inRing(1).map((c) => freshScan(c.client)));
      const before0 = await freshScan(f.inRing(0)[0]!.client);
      for (const c of f.inRing(0).slice(1)) await scan(c.client);
      assert.ok(!before1[0]!.updateIds.has(badUpdate));

      const { generationId, startedAt } = await f.startRollout();
      // Ring 0 is offered the new revision; 5 of 8 report a failed detection after it (event 148).
      for (const [n, c] of f.inRing(0).entries()) {
        const r = await freshScan(c.client);
        assert.ok(r.updateIds.has(badUpdate), 'ring 0 is served the new generation');
        if (n < 5) await reportDetectionFailed(c.client, -2145099769);
      }
      // Ring 1 and the last ring: nothing changed, to the byte.
      for (const [n, c] of f.inRing(1).entries())
        assert.deepEqual((await freshScan(c.client)).bodies, before1[n]!.bodies);
      assert.ok(!(await freshScan(f.inRing(2)[0]!.client)).updateIds.has(badUpdate));

      // Faults beyond the gate hold it before the soak ends: the rollout never reaches ring 1.
      const held = await f.service.step(startedAt + hour);
      assert.equal(held.kind, 'held');
      const status = await f.service.status(startedAt + hour);
      assert.equal(status?.rollout.state, 'held');
      assert.equal(status?.rollout.ringIndex, 0);
      assert.match(
        status.rollout.heldReason!,
        /ring 0 \(Pilot\): 5 of 8 active computers faulted.*0x80246007 \(5\)/,
      );
      assert.deepEqual(
        { faulted: status.figures!.faulted, clean: status.figures!.clean, active: status.figures!.active },
        { faulted: 5, clean: 3, active: 8 },
      );
      const alert = f.logs.find((l) => l.event === 'catalog.generation.held');
      assert.equal(alert?.generationId, generationId);
      assert.ok(await f.notifier.drain(5000));
      assert.deepEqual(
        f.notifications.map((n) => [n.event, n.severity, n.detail?.generationId, n.detail?.ring]),
        [['rollout.held', 'warning', generationId, 0]],
      );
      assert.match(f.notifications[0]!.text, /5 of 8 active computers faulted/);
      // Long after the soak, a held rollout stays put.
      assert.equal((await f.service.step(startedAt + 10 * soak)).kind, 'idle');
      for (const [n, c] of f.inRing(1).entries())
        assert.deepEqual((await freshScan(c.client)).bodies, before1[n]!.bodies);

      // Abort: ring 0 is offered generation A again, byte for byte; the generation is rolled back.
      await f.service.abort('tester', 'bad revision');
      assert.deepEqual((await freshScan(f.inRing(0)[0]!.client)).bodies, before0.bodies);
      const repos = createRepositories(f.h.handle);
      assert.equal((await repos.generations.get(generationId))?.state, 'rolled_back');
      assert.equal((await repos.generations.getActive())?.generationId, f.generationA);
      assert.ok(f.logs.some((l) => l.event === 'catalog.generation.aborted'));
    });

    void test('ring-0 clients that stop scanning hold the generation at the end of the soak', async (t) => {
      const f = await startFleet(t, dialect, { perRing: 8, soakMs: soak, minReported: 2 });
      for (const c of f.computers) await scan(c.client);
      const { startedAt } = await f.startRollout();
      // 3 come back and scan cleanly, 2 start a scan and never finish it, 3 never come back.
      for (const c of f.inRing(0).slice(0, 3)) await freshScan(c.client);
      for (const c of f.inRing(0).slice(3, 5)) {
        await c.client.handshake();
        await scan(c.client, { stopAfterFirstPage: true });
      }
      assert.equal(
        (await f.service.step(startedAt + soak - 1)).kind,
        'wait',
        'no decision before the soak ends',
      );
      const out = await f.service.step(startedAt + soak);
      assert.equal(out.kind, 'held');
      assert.match(
        out.kind === 'held' ? out.reason! : '',
        /of 8 active computers 0 faulted and 5 stopped scanning \(62\.5 % > gate 20\.0 %\)/,
      );
      assert.ok(!(await freshScan(f.inRing(1)[0]!.client)).updateIds.has(badUpdate));
    });

    void test('a good generation is promoted ring by ring and becomes the active one; a restart mid-soak resumes', async (t) => {
      const f = await startFleet(t, dialect, { perRing: 5, soakMs: soak });
      for (const c of f.computers) await scan(c.client);
      const { generationId, startedAt } = await f.startRollout();
      for (const c of f.inRing(0)) assert.ok((await freshScan(c.client)).updateIds.has(badUpdate));
      assert.equal((await f.service.step(startedAt + hour)).kind, 'wait');

      // A restart: a new service over a new set of repositories; only the database remembers the soak.
      const repos = createRepositories(f.h.handle);
      const restarted = new CatalogRolloutService({
        store: repos.catalogRollouts,
        audit: repos.auditLog,
        rings: { catalogRings: () => Promise.resolve(f.rings) },
        logger: (await import('../client-service/harness.js')).silentLogger,
      });
      const promoted = await restarted.step(startedAt + soak);
      assert.equal(promoted.kind, 'promoted');
      const ring1At = promoted.kind === 'promoted' ? promoted.rollout.ringEnteredAt : 0;
      assert.equal(ring1At, startedAt + soak);
      assert.ok((await freshScan(f.inRing(1)[0]!.client)).updateIds.has(badUpdate), 'ring 1 now');
      assert.ok(!(await freshScan(f.inRing(2)[0]!.client)).updateIds.has(badUpdate), 'not the last ring yet');
      for (const c of f.inRing(1)) await freshScan(c.client);
      // Ring 1's soak starts when ring 1 started: not promoted before.
      assert.equal((await restarted.step(ring1At + soak - 1)).kind, 'wait');
      const completed = await restarted.step(ring1At + soak);
      assert.equal(completed.kind, 'completed');
      assert.equal((await repos.generations.getActive())?.generationId, generationId);
      assert.ok((await freshScan(f.inRing(2)[0]!.client)).updateIds.has(badUpdate), 'everyone now');
      assert.equal((await repos.generations.get(f.generationA))?.state, 'retired');
    });

    void test('hold and promote by hand, audited', async (t) => {
      const f = await startFleet(t, dialect, { perRing: 2, soakMs: soak });
      const { startedAt } = await f.startRollout();
      await f.service.hold('tester', 'waiting for the vendor');
      // Held by hand: the gate does not promote it, whatever time it is.
      assert.equal((await f.service.step(startedAt + 10 * soak)).kind, 'idle');
      await assert.rejects(f.service.hold('tester', undefined), /already held/);
      assert.ok(await f.notifier.drain(5000));
      assert.deepEqual(
        f.notifications.map((n) => [n.event, n.severity]),
        [['rollout.paused', 'info']],
        'a hold by hand is a paused rollout',
      );
      assert.match(f.notifications[0]!.text, /held by tester: waiting for the vendor/);
      // /metrics: the ring the catalog change reached, by state.
      const metrics = new PatchbayMetrics({ cacheMs: 0, processMetrics: false });
      metrics.setScrapeSource(storageScrapeSource(f.h.handle, tmpdir()));
      const ringGauge = async () =>
        (await metrics.expose()).body
          .split('\n')
          .filter((l) => l.startsWith('patchbay_catalog_rollout_ring{'));
      assert.deepEqual(await ringGauge(), ['patchbay_catalog_rollout_ring{state="held"} 0']);
      // Promote by hand: on to ring 1 now, without the soak or the gate (no ring-0 computer even scanned).
      const r = await f.service.promote('tester');
      assert.deepEqual([r.state, r.ringIndex], ['soaking', 1]);
      assert.deepEqual(await ringGauge(), ['patchbay_catalog_rollout_ring{state="soaking"} 1']);
      assert.ok((await freshScan(f.inRing(1)[0]!.client)).updateIds.has(badUpdate));
      const audit = (await createRepositories(f.h.handle).auditLog.list({ limit: 10 })) as {
        action: string;
      }[];
      const actions = audit.map((a) => a.action);
      assert.ok(
        actions.includes('catalog.rollout.hold') && actions.includes('catalog.rollout.promote'),
        actions.join(),
      );
      // From the ring before the last, a promotion by hand completes the rollout.
      assert.equal((await f.service.promote('tester')).state, 'completed');
      await assert.rejects(f.service.promote('tester'), /no catalog rollout is in progress/);
      assert.deepEqual(await ringGauge(), [], 'absent when no catalog change is in progress');
    });
  });
}
