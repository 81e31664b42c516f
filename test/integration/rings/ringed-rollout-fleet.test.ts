/**
 * Ringed approvals on a simulated fleet (issue 14), on SQLite and PostgreSQL: hundreds of simulated computers per
 * ring register, scan (SyncUpdates) and report (ReportEventBatch) through the real client endpoints over HTTP;
 * the gates are evaluated on a simulated clock (the promotion step takes `now`).
 *
 * The simulated clock runs BEHIND the wall clock: the client server stamps reports and scans with the real time,
 * and a stage counts what arrived after it started, so the simulated stage starts must lie before the reports.
 * Days of soak pass in milliseconds all the same.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import type { AdminActor } from '../../../src/fleet/index.js';
import { rolloutEventNotification } from '../../../src/notify/index.js';
import { seedGeneration, syntheticRevision } from '../../helpers/seed-catalog.js';
import { webhookNotifier } from '../../helpers/webhook-notifier.js';
import { dialects, startHarness, type Harness } from '../client-service/harness.js';
import { reportingEvent, WuspClient, type UpdateInfoOut } from '../client-service/wusp-client.js';

const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const product = id(1);
const detectoid = id(2);
const good = id(10);
const bad = id(11);
const admin: AdminActor = { via: 'cli', name: 'tester' };
const perRing = Number(process.env.PB_RING_FLEET_SIZE ?? 200);
const unringed = 20;
const day = 86_400_000;
const failCode = -2145124322; // 0x8024001E

interface SimComputer {
  readonly client: WuspClient;
  readonly ring: 'pilot' | 'broad' | 'none';
}

/** Runs `fn` over `items` with a few requests in flight (a fleet scans concurrently, but 2 cores are shared). */
async function pool<T>(items: readonly T[], fn: (item: T) => Promise<void>, width = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const updateIdOf = (u: UpdateInfoOut): string =>
  /UpdateIdentity UpdateID="([^"]+)"/.exec(u.xml)![1]!.toLowerCase();

/** A full scan; returns the deployment action the computer was given for each leaf update. */
async function scan(c: WuspClient): Promise<Map<string, string>> {
  const installed = new Set<number>();
  const other = new Set<number>();
  const actions = new Map<string, string>();
  for (let i = 0; i < 10; i++) {
    const a = await c.sync({ installed: [...installed], other: [...other] });
    for (const u of [...a.newUpdates, ...a.changed]) {
      (u.isLeaf ? other : installed).add(u.id);
      if (u.isLeaf && u.xml !== '') actions.set(updateIdOf(u), u.action);
    }
    if (!a.truncated && a.newUpdates.every((u) => u.isLeaf)) break;
  }
  return actions;
}

async function report(c: WuspClient, eventId: number, updateId: string, hresult = 0): Promise<void> {
  const ok = await c.report(
    reportingEvent({
      clientId: c.clientId,
      instanceId: randomUUID(),
      eventId,
      updateId,
      revisionNumber: 200,
      hresult,
    }),
  );
  assert.equal(ok, true);
}

async function startFleet(t: Parameters<typeof startHarness>[0], dialect: 'sqlite' | 'postgres') {
  const h: Harness = await startHarness(t, dialect, {
    seed: async ({ handle }) => {
      await seedGeneration(handle, [
        syntheticRevision({ updateId: product, type: 'Category', title: 'Product' }),
        syntheticRevision({ updateId: detectoid, type: 'Detectoid' }),
        ...[good, bad].map((updateId) =>
          syntheticRevision({
            updateId,
            type: 'Software',
            prerequisites: [[detectoid]],
            categoryPrerequisites: [product],
          }),
        ),
      ]);
    },
  });
  // The sink `serve` installs (main.ts): a paused rollout is an alert through the webhook channel.
  const { notifier, received } = await webhookNotifier(t);
  const services = createAdminServices(h.handle, {
    rolloutEvents: (event, fields) => {
      const n = rolloutEventNotification('wsus-test', event, fields);
      if (n !== undefined) notifier.notify(n);
    },
  });
  const pilot = await services.groups.create({ name: 'Pilot' }, admin);
  const broad = await services.groups.create({ name: 'Broad' }, admin);
  await services.rings.create(
    { name: 'pilot', groups: ['Pilot'], soak: '1d', minReported: perRing / 2, maxFailurePercent: 5 },
    admin,
  );
  await services.rings.create(
    { name: 'broad', groups: ['Broad'], soak: '2d', minReported: perRing / 2, maxFailurePercent: 5 },
    admin,
  );
  const fleet: SimComputer[] = [
    ...Array.from({ length: perRing }, () => ({ ring: 'pilot' as const })),
    ...Array.from({ length: perRing }, () => ({ ring: 'broad' as const })),
    ...Array.from({ length: unringed }, () => ({ ring: 'none' as const })),
  ].map((c, i) => ({ ...c, client: new WuspClient(h, randomUUID(), `pc${i}.fleet.test`) }));
  await pool(fleet, async (c) => {
    await c.client.handshake();
    await c.client.register();
    if (c.ring !== 'none')
      await h.repos.groups.setMemberships(
        c.client.clientId,
        [c.ring === 'pilot' ? pilot.groupId : broad.groupId],
        'server',
      );
    await c.client.handshake(); // the cookie carries the groups
  });
  return { h, services, fleet, notifier, notifications: received };
}

for (const { dialect, skip } of dialects)
  void describe(`ringed approvals on a simulated fleet (${dialect})`, { skip }, () => {
    void test('a good update reaches the last ring on schedule; one failing on half of ring 0 pauses there', async (t) => {
      const { h, services, fleet, notifier, notifications } = await startFleet(t, dialect);
      const T0 = Date.now() - 30 * day;
      const preview = await services.rollouts.start(
        { selection: { updateIds: [good] }, plan: 'pilot+2d,broad+3d', dryRun: true },
        admin,
        T0,
      );
      assert.deepEqual(
        preview.schedule.map((s) => [
          s.ring,
          s.computers,
          s.earliestStartAt - T0,
          s.earliestDeadlineAt! - T0,
        ]),
        [
          ['pilot', perRing, 0, 2 * day],
          ['broad', perRing + unringed, day, 4 * day],
        ],
      );
      assert.equal((await services.rollouts.status()).length, 0, 'a dry run starts nothing');
      const started = await services.rollouts.start(
        { selection: { updateIds: [good, bad] }, plan: 'pilot+2d,broad+3d' },
        admin,
        T0,
      );
      const idOf = (u: string) => started.rollouts.find((r) => r.updateId === u)!.rolloutId!;

      // Ring 0 is offered both; the others neither.
      const scanAll = async () => {
        const out = new Map<SimComputer, Map<string, string>>();
        await pool(fleet, async (c) => void out.set(c, await scan(c.client)));
        return out;
      };
      let offers = await scanAll();
      for (const [c, a] of offers)
        for (const u of [good, bad])
          assert.equal(
            a.get(u) === 'Install',
            c.ring === 'pilot',
            `${c.ring} computer, update ${u}: ${a.get(u)}`,
          );

      // Ring 0 installs the good update everywhere; the bad one fails on half of it.
      const pilots = fleet.filter((c) => c.ring === 'pilot');
      await pool(pilots, async (c) => {
        await report(c.client, 183, good);
        const i = pilots.indexOf(c);
        await (i % 2 === 0 ? report(c.client, 182, bad, failCode) : report(c.client, 183, bad));
      });

      // Mid-soak: the good one waits; the bad one fails its gate at once (enough reports, 50% > 5%).
      let tick = await services.rollouts.tick(T0 + day / 2);
      assert.deepEqual(tick, { evaluated: 2, promoted: 0, paused: 1, completed: 0 });
      const [badStatus] = await services.rollouts.status({ rolloutId: idOf(bad) }, T0 + day / 2);
      assert.equal(badStatus!.state, 'paused');
      assert.equal(badStatus!.ring, 'pilot');
      assert.match(
        badStatus!.holdReason!,
        new RegExp(`install failures 50% \\(${perRing / 2} of ${perRing}\\) exceed 5%`),
      );
      const evidence = badStatus!.evidence as {
        computers: { computerId: string; hresult: number }[];
        codes: unknown;
      };
      assert.deepEqual(evidence.codes, [{ hresult: failCode, computers: perRing / 2 }]);
      assert.equal(evidence.computers.length, Math.min(50, perRing / 2));
      const failedIds = new Set(
        pilots.filter((_, i) => i % 2 === 0).map((c) => c.client.clientId.toLowerCase()),
      );
      for (const c of evidence.computers)
        assert.ok(failedIds.has(c.computerId), 'the evidence names failed computers');
      // The alert went out through the webhook channel, with the evidence.
      assert.ok(await notifier.drain(5000));
      assert.equal(notifications.length, 1);
      const alert = notifications[0]!;
      assert.equal(alert.event, 'rollout.held');
      assert.equal(alert.severity, 'warning');
      assert.match(alert.text, /ring pilot: install failures 50%/);
      assert.equal(alert.detail?.rolloutId, idOf(bad));
      assert.equal(alert.detail?.failedComputers, Math.min(50, perRing / 2));
      assert.deepEqual(alert.detail?.codes, [{ hresult: failCode, computers: perRing / 2 }]);
      const [goodMid] = await services.rollouts.status({ rolloutId: idOf(good) }, T0 + day / 2);
      assert.equal(goodMid!.nextPromotionAt, T0 + day);
      assert.match(goodMid!.holdReason!, /soak time not over/);

      // After the soak: the good one moves to ring 1; the bad one stays paused.
      tick = await services.rollouts.tick(T0 + day + 60_000);
      assert.deepEqual(tick, { evaluated: 1, promoted: 1, paused: 0, completed: 0 });
      const T1 = T0 + day + 60_000;
      offers = await scanAll();
      for (const [c, a] of offers) {
        assert.equal(
          a.get(good),
          'Install',
          `${c.ring} computer gets the good update in ring 1 (no ring follows the last)`,
        );
        assert.equal(
          a.get(bad) === 'Install',
          c.ring === 'pilot',
          `${c.ring} computer never gets the paused update`,
        );
      }
      const approvals = await h.repos.approvals.listForUpdate(good);
      const deadlines = new Map(approvals.map((a) => [a.groupId, a.deadlineAt]));
      const groupId = async (name: string) => (await services.groups.resolve(name)).groupId;
      assert.equal(deadlines.get(await groupId('Pilot')), T0 + 2 * day);
      assert.equal(deadlines.get(await groupId('Broad')), T1 + 3 * day);
      assert.equal(deadlines.get(await groupId('All Computers')), T1 + 3 * day);
      assert.equal((await h.repos.approvals.listForUpdate(bad)).length, 1, 'the paused update: ring 0 only');

      // A restart mid-soak (new services over the same database) resumes the same schedule.
      const restarted = createAdminServices(h.handle);
      const [mid] = await restarted.rollouts.status({ rolloutId: idOf(good) }, T1 + day);
      assert.equal(mid!.ring, 'broad');
      assert.equal(mid!.since, T1);
      assert.equal(mid!.nextPromotionAt, T1 + 2 * day);
      await pool(
        fleet.filter((c) => c.ring !== 'pilot'),
        (c) => report(c.client, 183, good),
      );
      assert.equal((await restarted.rollouts.tick(T1 + day)).completed, 0, 'still soaking');
      assert.deepEqual(await restarted.rollouts.tick(T1 + 2 * day), {
        evaluated: 1,
        promoted: 0,
        paused: 0,
        completed: 1,
      });
      const history = await restarted.rollouts.history(idOf(good));
      assert.deepEqual(
        history.map((e) => [e.event, e.position, e.at]),
        [
          ['started', 0, T0],
          ['promoted', 1, T1],
          ['completed', 1, T1 + 2 * day],
        ],
      );
      assert.equal((await restarted.rollouts.history(idOf(bad))).at(-1)!.event, 'paused');
    });

    void test('resume, skip and stop by hand; two service instances promote exactly once', async (t) => {
      const { h, services, fleet } = await startFleet(t, dialect);
      const T0 = Date.now() - 30 * day;
      const { rollouts } = await services.rollouts.start(
        { selection: { updateIds: [bad] }, plan: 'all' },
        admin,
        T0,
      );
      const rid = rollouts[0]!.rolloutId!;
      const pilots = fleet.filter((c) => c.ring === 'pilot');
      await pool(pilots, async (c) => {
        await scan(c.client);
        await (pilots.indexOf(c) % 2 === 0
          ? report(c.client, 182, bad, failCode)
          : report(c.client, 183, bad));
      });
      assert.equal((await services.rollouts.tick(T0 + day)).paused, 1);
      await assert.rejects(services.rollouts.resume(9999, admin), /rollout 9999 does not exist/);

      // Resume: a new soak from now, the failures seen so far accepted; no new report yet, so it waits.
      const now = Date.now();
      const resumed = await services.rollouts.resume(rid, admin, now);
      assert.equal(resumed.state, 'running');
      assert.equal(resumed.since, now);
      await assert.rejects(services.rollouts.resume(rid, admin), /only a paused rollout resumes/);
      // The computers keep scanning (else they count as stopped at the end of the new soak).
      await pool(pilots, async (c) => void (await scan(c.client)));
      assert.deepEqual(await services.rollouts.tick(now + day), {
        evaluated: 1,
        promoted: 0,
        paused: 0,
        completed: 0,
      });
      const [held] = await services.rollouts.status({ rolloutId: rid }, now + day);
      assert.match(held!.holdReason!, new RegExp(`0 of ${perRing / 2} required install reports`));

      // Two instances evaluate the same passing gate at once: exactly one promotion, one set of approvals.
      await pool(pilots, (c) => report(c.client, 183, bad));
      const other = createAdminServices(h.handle);
      const results = await Promise.all([services.rollouts.tick(now + day), other.rollouts.tick(now + day)]);
      assert.equal(results[0].promoted + results[1].promoted, 1, JSON.stringify(results));
      const history = await services.rollouts.history(rid);
      assert.deepEqual(
        history.map((e) => e.event),
        ['started', 'paused', 'resumed', 'promoted'],
      );
      const audit = await services.audit.list({ action: 'approval.set' });
      const broadId = (await services.groups.resolve('Broad')).groupId;
      assert.equal(
        audit.items.filter((e) => (e.detail as { groupId?: string }).groupId === broadId).length,
        1,
        'the next ring was approved once',
      );

      // Skip past the last ring = complete by hand; stop on a finished rollout is refused.
      const skipped = await services.rollouts.skip(rid, admin, now + day + 1);
      assert.equal(skipped.state, 'completed');
      await assert.rejects(services.rollouts.stop(rid, admin), /already completed/);

      // A new rollout of the same update, stopped in ring 0: ring 1 never gets an approval from it.
      await h.repos.approvals.clear([{ updateId: bad, groupId: broadId }]);
      const again = await services.rollouts.start(
        { selection: { updateIds: [bad] }, plan: 'pilot' },
        admin,
        now,
      );
      const stopped = await services.rollouts.stop(again.rollouts[0]!.rolloutId!, admin, now + 1);
      assert.equal(stopped.state, 'stopped');
      assert.equal((await services.rollouts.tick(now + 10 * day)).evaluated, 0);
      assert.ok(!(await h.repos.approvals.listForUpdate(bad)).some((a) => a.groupId === broadId));
    });
  });
