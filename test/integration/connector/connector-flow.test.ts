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
import { proxySkipReason, startTinyproxy } from '../../helpers/proxy.js';
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
        sleep: () => Promise.resolve(),
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

void test('authorization refused for a group: nothing is sent for it, its state does not move; other groups go on', async (t) => {
  const dir = tempDir(t);
  const { handle, path } = await sqliteDb(t, dir);
  await seed(handle, { securityUpdates: 2, computers: 10, groups: ['Servers', 'Workstations'] });
  const receiver = await startReceiver(t, tempDir(t), { refuseGroups: ['Servers'] });
  const ini = writeIni(dir, { driver: 'sqlite', path }, [
    { name: 'main', url: receiver.url, groups: ['Servers', 'Workstations'] },
  ]);
  const config = await loadConnectorConfigOrThrow({ file: ini, env: {} });
  const [s] = await runAll(handle, config, t0 + 1_000_000);
  assert.equal(s!.outcome, 'partial');
  assert.deepEqual(
    s!.groups.map((g) => g.outcome),
    ['refused', 'sent'],
  );
  const servers = receiver.events().filter((e) => e.group === 'Servers');
  assert.deepEqual(
    servers.map((e) => [e.event, e.authorized]),
    [['authorize', false]],
  );
  const repo = new ConnectorStateRepository(handle.db);
  const refused = await repo.get(stateKey('main', groupId(1)));
  assert.equal(refused?.runs, 0);
  assert.equal(refused?.watermark, null);
  assert.equal(refused?.lastOutcome, 'refused');
  assert.equal((await repo.get(stateKey('main', groupId(2))))?.runs, 1);
});

void test('the receiver fails mid-run: retries, the group fails, the watermark stays, the next run resends everything', async (t) => {
  const dir = tempDir(t);
  const { handle, path } = await sqliteDb(t, dir);
  await seed(handle, { securityUpdates: 5, computers: 300, groups: ['Servers'] });
  const recvDir = tempDir(t);
  let receiver = await startReceiver(t, recvDir, { failAfterParts: 2 });
  const ini = writeIni(dir, { driver: 'sqlite', path }, [
    { name: 'main', url: receiver.url, groups: ['Servers'], extra: { part_size: '64KiB', retries: '3' } },
  ]);
  let config = await loadConnectorConfigOrThrow({ file: ini, env: {} });
  const repo = new ConnectorStateRepository(handle.db);

  // A first acknowledged run, so there is a watermark to keep.
  const seedReceiver = await startReceiver(t, tempDir(t));
  const iniOk = writeIni(
    dir,
    { driver: 'sqlite', path },
    [{ name: 'main', url: seedReceiver.url, groups: ['Servers'], extra: { part_size: '64KiB' } }],
    {},
    'ok.ini',
  );
  const okConfig = await loadConnectorConfigOrThrow({ file: iniOk, env: {} });
  const [first] = await runAll(handle, okConfig, t0 + 1_000_000);
  assert.equal(first!.outcome, 'succeeded');
  const before = await repo.get(stateKey('main', groupId(1)));
  assert.equal(before?.runs, 1);
  await reportAt(
    handle,
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    t0 + 1_500_000,
  );
  // Big enough for several parts: make every computer report again.
  await reportAt(
    handle,
    Array.from({ length: 300 }, (_, i) => i + 1),
    t0 + 1_500_000,
  );

  const [failed] = await runAll(handle, config, t0 + 2_000_000);
  assert.equal(failed!.outcome, 'failed');
  assert.equal(failed!.groups[0]!.errorCode, 'PB_ERR_CONNECTOR_TARGET');
  assert.equal(failed!.retries, 3, 'the failing part was retried `retries` times');
  const injected = receiver.events().filter((e) => e.result === 'injected-failure');
  assert.equal(injected.length, 4, 'one attempt plus three retries');
  assert.equal(
    receiver.events().filter((e) => e.event === 'stop').length,
    0,
    'no stop event after a failed upload',
  );
  const after = await repo.get(stateKey('main', groupId(1)));
  assert.equal(after?.runs, 1, 'run counter unchanged');
  assert.equal(after?.watermark, before?.watermark, 'watermark unchanged');
  assert.equal(after?.lastOutcome, 'failed');
  assert.equal(after?.failures, 1);

  // The receiver recovers (restarted without the fault); the next run sends the same window again.
  await receiver.stop();
  receiver = await startReceiver(t, recvDir);
  config = await loadConnectorConfigOrThrow({
    file: writeIni(dir, { driver: 'sqlite', path }, [
      { name: 'main', url: receiver.url, groups: ['Servers'], extra: { part_size: '64KiB' } },
    ]),
    env: {},
  });
  const [resent] = await runAll(handle, config, t0 + 3_000_000);
  assert.equal(resent!.outcome, 'succeeded');
  const g = resent!.groups[0]!;
  assert.equal(g.mode, 'incremental');
  assert.equal(g.records.computers, 300, 'every computer that reported since the acknowledged run');
  assert.ok(g.parts > 2);
  const doc = jsonLines(receiver.document('main', resent!.runId, 'Servers')!);
  assert.equal(doc.filter((r) => r.type === 'computer').length, 300);
  assert.equal((await repo.get(stateKey('main', groupId(1))))?.runs, 2);
});

void test('a transient receiver failure is retried and the run succeeds', async (t) => {
  const dir = tempDir(t);
  const { handle, path } = await sqliteDb(t, dir);
  await seed(handle, { securityUpdates: 2, computers: 200, groups: ['Servers'] });
  const receiver = await startReceiver(t, tempDir(t), { failAfterParts: 1, failCount: 2 });
  const ini = writeIni(dir, { driver: 'sqlite', path }, [
    { name: 'main', url: receiver.url, groups: ['Servers'], extra: { part_size: '64KiB' } },
  ]);
  const [s] = await runAll(handle, await loadConnectorConfigOrThrow({ file: ini, env: {} }), t0 + 1_000_000);
  assert.equal(s!.outcome, 'succeeded');
  assert.equal(s!.retries, 2);
  assert.ok(receiver.document('main', s!.runId, 'Servers') !== undefined);
});

void test('several target instances, each with its own groups, state and files', async (t) => {
  const dir = tempDir(t);
  const { handle, path } = await sqliteDb(t, dir);
  await seed(handle, { securityUpdates: 2, computers: 30, groups: ['A', 'B', 'C'] });
  const r1 = await startReceiver(t, tempDir(t));
  const r2 = await startReceiver(t, tempDir(t));
  const ini = writeIni(dir, { driver: 'sqlite', path }, [
    { name: 'first', url: r1.url, groups: ['A', 'B'] },
    { name: 'second', url: r2.url, groups: ['B', 'C'], extra: { format: 'csv', items: 'computers' } },
  ]);
  const config = await loadConnectorConfigOrThrow({ file: ini, env: {} });
  const [s1, s2] = await runAll(handle, config, t0 + 1_000_000);
  assert.deepEqual(
    s1!.groups.map((g) => [g.group, g.outcome, g.records.computers]),
    [
      ['A', 'sent', 10],
      ['B', 'sent', 10],
    ],
  );
  assert.deepEqual(
    s2!.groups.map((g) => [g.group, g.outcome, g.records.updates]),
    [
      ['B', 'sent', 0],
      ['C', 'sent', 0],
    ],
  );
  assert.deepEqual(new Set(r1.events().map((e) => e.instance)), new Set(['first']));
  assert.deepEqual(new Set(r2.events().map((e) => e.instance)), new Set(['second']));
  const csv = r2.document('second', s2!.runId, 'C')!;
  assert.match(csv, /^record_type,update_id,title,/);
  assert.equal(csv.split('\r\n').filter((l) => l.startsWith('computer,')).length, 10);
  const repo = new ConnectorStateRepository(handle.db);
  assert.equal((await repo.list('asset-connector:first/')).length, 2);
  assert.equal((await repo.list('asset-connector:second/')).length, 2);
});

void test('Unicode computer names and update titles survive JSON Lines, CSV and JSON outputs; CSV is formula-safe', async (t) => {
  const dir = tempDir(t);
  const { handle, path } = await sqliteDb(t, dir);
  const names = ['Überwachung-ПК-01', '東京-サーバー', '=cmd|calc!A1', 'emoji-🖥️-"quoted", comma'];
  await seed(handle, {
    securityUpdates: 2,
    computers: 4,
    groups: ['Grüppe ☃ 日本'],
    name: (i) => names[i - 1]!,
    title: (j) => (j === 1 ? 'Mise à jour de sécurité 更新 (KB1)' : '+SUM(1,2) \u{1F512} Übersicht'),
  });
  const receiver = await startReceiver(t, tempDir(t));
  const ini = writeIni(dir, { driver: 'sqlite', path }, [
    { name: 'main', url: receiver.url, groups: ['Grüppe ☃ 日本'], extra: { output_formats: 'csv, json' } },
  ]);
  const config = await loadConnectorConfigOrThrow({ file: ini, env: {} });
  const [s] = await runAll(handle, config, t0 + 1_000_000);
  assert.equal(s!.outcome, 'succeeded');
  const doc = jsonLines(receiver.document('main', s!.runId, 'Grüppe ☃ 日本')!);
  assert.deepEqual(
    doc
      .filter((r) => r.type === 'computer')
      .map((r) => r.name)
      .sort(),
    [...names].sort(),
  );
  assert.deepEqual(
    doc.filter((r) => r.type === 'update').map((r) => r.title),
    ['Mise à jour de sécurité 更新 (KB1)', '+SUM(1,2) \u{1F512} Übersicht'],
  );
  const files = s!.groups[0]!.files;
  assert.equal(files.length, 3);
  const { readFileSync } = await import('node:fs');
  const csv = readFileSync(
    files.find((f) => f.endsWith('.csv'))!,
    'utf8',
  );
  assert.ok(csv.includes(`'=cmd|calc!A1`), 'formula cell prefixed with an apostrophe');
  assert.ok(csv.includes(`'+SUM(1,2) \u{1F512} Übersicht`));
  assert.ok(csv.includes('"emoji-🖥️-""quoted"", comma"'));
  assert.ok(!/(^|,)[=+@]/m.test(csv.replace(/"[^"]*"/g, '')), 'no cell starts with a formula character');
  const json = JSON.parse(
    readFileSync(
      files.find((f) => f.endsWith('.json'))!,
      'utf8',
    ),
  ) as Record<string, unknown>[];
  assert.equal(json.length, doc.length);
  assert.deepEqual(json, doc);
});

void test('through a real HTTP proxy (tinyproxy)', { skip: proxySkipReason() }, async (t) => {
  const dir = tempDir(t);
  const { handle, path } = await sqliteDb(t, dir);
  await seed(handle, { securityUpdates: 2, computers: 5, groups: ['Servers'] });
  const receiver = await startReceiver(t, tempDir(t), { token: 's3cret-token' });
  const proxy = await startTinyproxy();
  t.after(() => proxy.stop());
  const tokenFile = `${dir}/token`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(tokenFile, 's3cret-token\n');
  const ini = writeIni(dir, { driver: 'sqlite', path }, [
    {
      name: 'main',
      url: receiver.url,
      groups: ['Servers'],
      extra: { proxy_url: proxy.url, auth: 'bearer', token_file: tokenFile },
    },
  ]);
  const config = await loadConnectorConfigOrThrow({ file: ini, env: {} });
  const [s] = await runAll(handle, config, t0 + 1_000_000);
  assert.equal(s!.outcome, 'succeeded', JSON.stringify(s!.groups));
  const log = proxy.log();
  for (const p of ['authorize', 'start', 'parts', 'stop'])
    assert.match(
      log,
      new RegExp(`(GET|POST) ${receiver.url.replace(/[.]/g, '\\.')}/patchbay-connector/v1/${p}`),
      p,
    );
  assert.ok(receiver.document('main', s!.runId, 'Servers') !== undefined);
});
