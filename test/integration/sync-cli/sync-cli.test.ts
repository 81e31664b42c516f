/**
 * The sync-related commands as an operator runs them: real `patchbay` processes against the catalog-mode fake
 * upstream on loopback (test/helpers/fake-upstream), one SQLite database and content directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCliDir, runCliProcess, type CliResult } from '../../helpers/cli.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog, ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';

const json = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;

void test('patchbay sync, history, status, products, catalog status/rollback and content status end to end', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-sync-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const up = await startCatalogUpstream({ entries: buildRealCatalog().entries });
  t.after(() => up.close());
  await writeFile(
    join(dir, 'patchbay.ini'),
    `[server]\ndata_dir = ${join(dir, 'data')}\n[upstream]\nurl = ${up.serverSyncUrl}\nretries = 1\n[log]\nformat = json\n`,
  );
  const cli = (...args: string[]) => runCliProcess(args, { cwd: dir, timeoutMs: 60_000 });

  // No database yet: listing creates none and says where it looked; `db migrate` creates it.
  const noDb = await cli('products', 'list');
  assert.equal(noDb.code, 66, noDb.stderr);
  assert.match(noDb.stderr, /no Patchbay database at sqlite .*patchbay\.db/);
  assert.equal((await cli('db', 'migrate')).code, 0);

  // Before any sync: the lists say so, the catalog is empty and stale.
  const before = await cli('products', 'list');
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, /no categories yet: run `patchbay sync` once/);
  assert.match(before.stdout, /selected: Windows/);
  const emptyStatus = await cli('catalog', 'status');
  assert.equal(emptyStatus.code, 0, emptyStatus.stderr);
  assert.match(emptyStatus.stdout, /active generation\s+none/);
  assert.match(emptyStatus.stdout, /WARNING: stale/);

  // One sync now: plain progress lines on a pipe, a summary, exit 0.
  const first = await cli('sync');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^synchronization succeeded in .* \(run 1\)$/m);
  assert.match(first.stdout, /revisions imported\s+[1-9]\d*/);
  assert.match(first.stdout, /catalog generation\s+1 \(new\)/);
  assert.match(first.stderr, /^sync: categories: /m);
  assert.match(first.stderr, /^sync: done: /m);

  const products = await cli('products', 'list', '--json');
  assert.equal(products.code, 0, products.stderr);
  const plist = json<{
    synced: boolean;
    products: { id: string; type: string; enabled: boolean; via?: string }[];
  }>(products);
  assert.equal(plist.synced, true);
  const defender = plist.products.find((p) => p.id === ids.defender);
  assert.ok(defender, 'the synced product is listed');
  assert.equal(defender.enabled, true, 'enabled through the Windows family');
  assert.equal(defender.type, 'Product');
  const human = await cli('products', 'list');
  assert.match(human.stdout, /Defender.*yes \(via Windows\)/);

  // A new update upstream, then a second sync: generation 2.
  up.put({
    identity: { updateId: 'f0000000-0000-4000-8000-00000000c11a', revisionNumber: 100 },
    text: syntheticDocument('f0000000-0000-4000-8000-00000000c11a', 100, {
      categoryClauses: [[ids.defender], [ids.definitionUpdates]],
      title: 'SYNTHETIC (test) CLI update',
    }),
    listed: true,
  });
  const second = await cli('sync', '--json');
  assert.equal(second.code, 0, second.stderr);
  const s2 = json<{
    outcome: string;
    sync: { generationId: number; generationChanged: boolean; counters: Record<string, number> };
  }>(second);
  assert.equal(s2.outcome, 'succeeded');
  assert.equal(s2.sync.generationId, 2);
  assert.equal(s2.sync.counters.revisionsImported, 1);

  const history = await cli('sync', 'history', '--json');
  assert.equal(history.code, 0, history.stderr);
  const runs =
    json<{ kind: string; outcome: string; counters: Record<string, number>; error: unknown }[]>(history);
  assert.deepEqual(
    runs.map((r) => [r.kind, r.outcome]),
    [
      ['content', 'succeeded'],
      ['metadata', 'succeeded'],
      ['content', 'succeeded'],
      ['metadata', 'succeeded'],
    ],
  );
  assert.ok(runs[3]!.counters.revisionsImported! > 0);
  const historyTable = await cli('sync', 'history');
  assert.match(historyTable.stdout, /^run\s+kind\s+trigger\s+started/m);
  assert.match(historyTable.stdout, /metadata\s+cli\s+.*succeeded/);

  const status = await cli('sync', 'status');
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /last good sync\s+\d{4}-\d\d-\d\d/);
  assert.match(status.stdout, /schedule\s+1\/day from 03:00/);
  assert.doesNotMatch(status.stdout, /WARNING/);

  // Roll back to generation 1, atomically.
  const rollback = await cli('catalog', 'rollback');
  assert.equal(rollback.code, 0, rollback.stderr);
  assert.match(rollback.stdout, /generation 1 is active again/);
  const cat = json<{ active: { generationId: number }; quarantined: number; stale: boolean }>(
    await cli('catalog', 'status', '--json'),
  );
  assert.equal(cat.active.generationId, 1);
  assert.equal(cat.stale, false);

  // Disable the product: the selection expands Windows into its other products.
  const disable = await cli('products', 'disable', ids.defender, '--json');
  assert.equal(disable.code, 0, disable.stderr);
  const sel = json<{ products: string[] }>(disable);
  assert.ok(!sel.products.includes(ids.defender));
  assert.ok(!sel.products.some((p) => p.toLowerCase() === 'windows'));
  const unknown = await cli('products', 'enable', 'No Such Product');
  assert.equal(unknown.code, 65, unknown.stderr);
  assert.match(unknown.stderr, /PB_ERR_INVALID_PARAMETER: unknown product "No Such Product"/);

  const content = await cli('content', 'status');
  assert.equal(content.code, 0, content.stderr);
  assert.match(content.stdout, /content mode: approved/);
  assert.match(content.stdout, /^verified\s+0\s+0 B$/m);
});

/** Data dir under `dir`, an upstream that refuses connections at once. */
const unreachableIni = (dir: string) =>
  `[server]\ndata_dir = ${join(dir, 'data')}\n[upstream]\nurl = http://127.0.0.1:9/ServerSyncWebService/ServerSyncWebService.asmx\nretries = 0\n`;

void test('patchbay sync on a fresh install creates no database, names db migrate and exits 66', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-sync-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'patchbay.ini'), unreachableIni(dir));
  const r = await runCliProcess(['sync'], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 66, r.stderr);
  assert.match(
    r.stderr,
    /^patchbay: PB_ERR_NOT_FOUND: no Patchbay database at sqlite .*data.patchbay\.db \(database\.path\): run `patchbay db migrate`/,
  );
  assert.equal(r.stdout, '');
  assert.deepEqual(await readdir(dir), ['patchbay.ini'], 'no data dir, database or content directory');
});

void test('patchbay sync exits with the error code when the upstream is unreachable and records the failure', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-sync-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await initCliDir(dir, unreachableIni(dir));
  const r = await runCliProcess(['sync'], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 69, r.stderr);
  assert.match(r.stderr, /patchbay: PB_ERR_UPSTREAM_(CONNECT|UNAVAILABLE)/);
  const h = await runCliProcess(['sync', 'history'], { cwd: dir, timeoutMs: 60_000 });
  assert.match(h.stdout, /metadata\s+cli\s+.*failed.*PB_ERR_UPSTREAM_/);
});
