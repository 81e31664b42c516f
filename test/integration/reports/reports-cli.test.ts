import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../../src/cli/program.js';
import { migrateToLatest, openDatabase } from '../../../src/storage/index.js';
import { seedFleet } from '../../contract/public-views/seed.js';

/** `patchbay reports ...` in-process against a seeded SQLite file named by a config file. */
void test('patchbay reports updates|computers|compliance|sync with --group and --format', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-reports-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'patchbay.db');
  const handle = openDatabase({ driver: 'sqlite', path: dbPath });
  await migrateToLatest(handle);
  await seedFleet(handle);
  await handle.close();
  writeFileSync(join(dir, 'patchbay.ini'), `[server]\ndata_dir = ${dir}\n[database]\npath = ${dbPath}\n`);
  const run = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: (s) => void (stdout += s),
      stderr: (s) => void (stderr += s),
      env: {},
      cwd: dir,
    });
    return { code, stdout, stderr };
  };

  const csv = await run('reports', 'updates', '--group', 'Web', '--format', 'csv');
  assert.equal(csv.code, 0, csv.stderr);
  assert.match(csv.stdout, /^updateId,kb,title,/);
  assert.match(csv.stdout, /"'=HYPERLINK\(""x""\)/, 'formula-safe CSV');

  const json = await run('reports', 'computers', '--format', 'json', '--group', 'Workstations');
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { rows: { name: string }[] };
  assert.deepEqual(
    parsed.rows.map((r) => r.name),
    ['ws-müller.contoso.local'],
  );

  const table = await run('reports', 'compliance', '--by', 'group');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^\S+\s+Workstations\s+.*100\.0%$/m);

  const sync = await run('reports', 'sync');
  assert.match(sync.stdout, /PB_ERR_UPSTREAM_TIMEOUT/);

  const badFormat = await run('reports', 'sync', '--format', 'xml');
  assert.equal(badFormat.code, 64);
  assert.match(badFormat.stderr, /unknown report format/);
  const badGroup = await run('reports', 'computers', '--group', 'Nope');
  assert.equal(badGroup.code, 65);
  assert.match(badGroup.stderr, /PB_ERR_INVALID_PARAMETER: unknown group "Nope"/);
});
