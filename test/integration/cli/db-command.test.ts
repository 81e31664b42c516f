import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliProcess } from '../../helpers/cli.js';

void test('db status lists pending migrations (exit 1) until db migrate applies them (then exit 0, none pending)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pb-cli-db-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const env = { PATCHBAY_SERVER_DATA_DIR: join(dir, 'data') };

  // Looking creates nothing: no file yet is said, with the path, not made.
  const none = await runCliProcess(['db', 'status', '--json'], { cwd: dir, env });
  assert.equal(none.code, 66, none.stderr);
  assert.match(none.stderr, /no Patchbay database at sqlite .*patchbay\.db \(database\.path\)/);
  assert.equal(existsSync(join(dir, 'data', 'patchbay.db')), false);

  // An empty database file (as an operator might create) has every migration pending.
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'patchbay.db'), '');
  const before = await runCliProcess(['db', 'status', '--json'], { cwd: dir, env });
  assert.equal(before.code, 1, before.stderr);
  const pending = JSON.parse(before.stdout) as { applied: unknown[]; pending: string[] };
  assert.equal(pending.applied.length, 0);
  assert.ok(pending.pending.length > 0);

  const migrate = await runCliProcess(['db', 'migrate'], { cwd: dir, env });
  assert.equal(migrate.code, 0, migrate.stderr);
  assert.ok(existsSync(join(dir, 'data', 'patchbay.db')));

  const after = await runCliProcess(['db', 'status'], { cwd: dir, env });
  assert.equal(after.code, 0, after.stderr);
  assert.match(after.stdout, /schema up to date/);
  for (const name of pending.pending) assert.match(after.stdout, new RegExp(`applied  ${name}`));
});
