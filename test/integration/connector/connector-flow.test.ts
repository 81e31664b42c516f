/**
 * The connector run against the reference receiver on loopback, in process (an injected clock moves time
 * between runs): ordering per group, incremental computers with a full report every tenth run, several
 * groups and instances, refused authorization, Unicode, a failing receiver and the resend, on SQLite.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import {
  createViewReader,
  loadConnectorConfigOrThrow,
  runInstance,
  stateKey,
  type ConnectorConfig,
  type InstanceSummary,
} from '../../../src/connectors/index.js';
import { ConnectorStateRepository, type DbHandle } from '../../../src/storage/index.js';
import {
  computerId,
  groupId,
  jsonLines,
  reportAt,
  seed,
  sqliteDb,
  startReceiver,
  t0,
  tempDir,
  writeIni,
  type RunningReceiver,
} from './harness.js';

const silent = pino({ level: 'silent' });

async function runAll(
  handle: DbHandle,
  config: ConnectorConfig,
  now: number,
  only?: string,
): Promise<InstanceSummary[]> {
  const reader = createViewReader(handle);
  const out: InstanceSummary[] = [];
  for (const instance of config.instances) {
    if (only !== undefined && instance.name !== only) continue;
    out.push(
      await runInstance({
        instance,
        handle,
        reader,
        logger: silent,
        version: 'test',
        now: () => now,
        settleMs: 0,
        sleep: async () => undefined,
      }),
    );
  }
  return out;
}

function groupEvents(r: RunningReceiver, instance: string, runId: string, group: string): string[] {
  return r
    .events()
    .filter(
      (e) => e.instance === instance && e.group === group && (e.runId === runId || e.event === 'authorize'),
    )
    .map((e) => e.event);
}

void test('start, parts and stop per group in order; incremental computers with a full report every tenth run', async (t) => {
  const dir = tempDir(t);
  const { handle, path } = await sqliteDb(t, dir);
  await seed(handle, {
    securityUpdates: 3,
    otherUpdates: 2,
    computers: 40,
    groups: ['Servers', 'Workstations'],
  });
  const receiver = await startReceiver(t, tempDir(t));
  const ini = writeIni(dir, { driver: 'sqlite', path }, [
    { name: 'main', url: receiver.url, groups: ['Servers', 'Workstations'], extra: { part_size: '64KiB' } },
  ]);
  const config = await loadConnectorConfigOrThrow({ file: ini, env: {} });

  // Run 1: no watermark -> a full report of both groups.
  let now = t0 + 1_000_000;
  const [s1] = await runAll(handle, config, now);
  assert.equal(s1!.outcome, 'succeeded');
  for (const [g, name] of [
    [1, 'Servers'],
    [2, 'Workstations'],
  ] as const) {
    const gs = s1!.groups.find((x) => x.group === name)!;
    assert.equal(gs.mode, 'full');
    assert.equal(gs.records.computers, 20);
    assert.equal(gs.records.updates, 3, 'security updates only');
    assert.equal(gs.records.statuses, 20 * 3);
    const ev = groupEvents(receiver, 'main', s1!.runId, name);
    assert.equal(ev[0], 'authorize');
    assert.equal(ev[1], 'start');
    assert.equal(ev.at(-1), 'stop');
    assert.ok(ev.slice(2, -1).every((e) => e === 'part') && ev.length >= 4, ev.join(','));
    const state = await new ConnectorStateRepository(handle.db).get(stateKey('main', groupId(g)));
    assert.equal(state?.runs, 1);
    assert.equal(state?.watermark, new Date(now).toISOString());
    // Each computer is followed by its states.
    const recs = jsonLines(receiver.document('main', s1!.runId, name)!);
    assert.deepEqual(
      recs.slice(0, 3).map((r) => r.type),
      ['update', 'update', 'update'],
    );
    const first = recs[3]!;
    assert.equal(first.type, 'computer');
    assert.deepEqual(
      recs.slice(4, 7).map((r) => [r.type, r.computerId]),
      [
        ['status', first.computerId],
        ['status', first.computerId],
        ['status', first.computerId],
      ],
    );
  }
  // Groups are processed one after the other: the first group's stop precedes the second's authorize.
  const order = receiver.events().map((e) => `${e.event}:${e.group}`);
  assert.ok(order.lastIndexOf('stop:Servers') < order.indexOf('authorize:Workstations'));

  // Runs 2..10: incremental; only computers that reported since the last run.
  for (let run = 2; run <= 10; run++) {
    now += 1_000_000;
    const reported = [2 * run, 2 * run + 1]; // one even (Workstations... members by i % 2) and one odd
    await reportAt(handle, reported, now - 10);
    const [s] = await runAll(handle, config, now);
    assert.equal(s!.outcome, 'succeeded');
    for (const gs of s!.groups) {
      assert.equal(gs.mode, 'incremental', `run ${run}`);
      assert.equal(gs.records.computers, 1, `run ${run} ${gs.group}`);
      assert.equal(gs.records.updates, 3, 'updates are a full report every run');
      const recs = jsonLines(receiver.document('main', s!.runId, gs.group)!);
      const ids = recs.filter((r) => r.type === 'computer').map((r) => r.computerId);
      assert.ok(ids.every((id) => reported.map(computerId).includes(id as string)));
    }
  }
  // Run 11 (after ten acknowledged runs): a full report again.
  now += 1_000_000;
  const [s11] = await runAll(handle, config, now);
  assert.deepEqual(
    s11!.groups.map((g) => [g.mode, g.records.computers]),
    [
      ['full', 20],
      ['full', 20],
    ],
  );
  const state = await new ConnectorStateRepository(handle.db).get(stateKey('main', groupId(1)));
  assert.equal(state?.runs, 11);
});
