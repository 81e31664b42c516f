/**
 * Issue 16 item 4, on SQLite and PostgreSQL: `patchbay backup` (the real executable) while a Windows-like client
 * scans and reports, `patchbay restore` onto a new data directory and an empty database, then a scan at the
 * restored server gets the same answers, the client's old cookie still works (the keys are in the database),
 * and the approved file downloads byte-exact from the restored store. A second backup to the same folder copies
 * nothing; a tampered file or a truncated database copy is refused before anything changes.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { request } from 'undici';
import { createAdminServices } from '../../../src/admin/index.js';
import { isEmptyDatabase, openDatabase } from '../../../src/storage/index.js';
import {
  adminDrivers,
  emptyPostgresUrl,
  openTestDatabase,
  stopAdminPostgres,
  type Driver,
} from '../../helpers/admin-db.js';
import { runCliProcess } from '../../helpers/cli.js';
import type { WuspClient } from '../client-service/wusp-client.js';
import { runCli } from '../../../src/cli/index.js';
import { startE2eClientServer } from '../e2e/e2e-client-server.js';
import { cat, productEnv, startProductUpstream } from '../e2e/product-upstream.js';

after(() => stopAdminPostgres());

/** The CLI in-process (the code path of bin.ts; a real process costs seconds under load). */
async function runIn(
  cwd: string,
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (x) => void (stdout += x),
    stderr: (x) => void (stderr += x),
    env: { ...env, PATCHBAY_LOG_LEVEL: 'silent' },
    cwd,
  });
  return { code, stdout, stderr };
}

function cliFor(cwd: string, env: Record<string, string>): (...args: string[]) => Promise<string> {
  return async (...args) => {
    const r = await runIn(cwd, env, args);
    assert.equal(r.code, 0, `patchbay ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
}

const updateIdOf = (xml: string): string => /UpdateIdentity UpdateID="([^"]+)"/.exec(xml)![1]!.toLowerCase();

/** A whole scan as WUA runs it; update id -> action, and update id -> revision id. */
async function scan(
  wua: WuspClient,
): Promise<{ actions: Map<string, string>; revisions: Map<string, number> }> {
  const installed = new Set<number>();
  const cached = new Set<number>();
  const actions = new Map<string, string>();
  const revisions = new Map<string, number>();
  for (let page = 0; page < 50; page++) {
    const a = await wua.sync({ installed: [...installed], other: [...cached] });
    for (const u of a.newUpdates) {
      actions.set(updateIdOf(u.xml), u.action);
      revisions.set(updateIdOf(u.xml), u.id);
      (u.isLeaf ? cached : installed).add(u.id);
    }
    if (!a.truncated && a.newUpdates.every((u) => u.isLeaf)) return { actions, revisions };
  }
  throw new Error('scan did not finish in 50 pages');
}

/** A synchronized server with one approved update whose file is stored: what both tests back up. */
async function syncedServer(t: TestContext, driver: Driver) {
  const source = await openTestDatabase(t, driver);
  const up = await startProductUpstream(t);
  const env = { ...source.env, ...productEnv(up, source.dir) };
  const cli = cliFor(source.dir, env);
  await createAdminServices(source.handle).groups.create({ name: 'Ring 1' }, { via: 'cli', name: 'tester' });
  await cli('sync', '--quiet');
  await cli('approve', cat.sec, '--group', 'Ring 1');
  await cli('content', 'download');
  return { source, up, env, cli };
}

for (const driver of adminDrivers()) {
  void describe(`backup and restore (${driver})`, () => {
    void test('backup while clients scan, restore on a fresh data directory, the same answers', async (t) => {
      const { source, up, env, cli } = await syncedServer(t, driver);

      const server = await startE2eClientServer(t, source.handle, env);
      const clientId = randomUUID();
      const wua = server.client(clientId);
      await wua.handshake();
      await wua.register();
      await cli('groups', 'add-computer', 'Ring 1', clientId);
      await wua.handshake();
      const before = await scan(wua);
      assert.equal(before.actions.get(cat.sec), 'Install');

      // Backup (another process) while a second client scans in a loop: the server keeps answering.
      const busy = server.client(randomUUID());
      await busy.handshake();
      await busy.register();
      let scansDuringBackup = 0;
      let backupDone = false;
      const loop = (async () => {
        while (!backupDone) {
          await scan(busy);
          scansDuringBackup++;
        }
      })();
      const folder = join(source.dir, 'backup');
      const first = await runCliProcess(['backup', '--to', folder, '--json'], {
        cwd: source.dir,
        env,
        timeoutMs: 60_000,
      });
      backupDone = true;
      await loop;
      assert.equal(first.code, 0, first.stderr);
      t.diagnostic(`${scansDuringBackup} scans completed while the backup ran`);
      const summary = JSON.parse(first.stdout) as { content: { files: number; copiedFiles: number } };
      assert.ok(summary.content.files >= 1);
      assert.equal(summary.content.copiedFiles, summary.content.files);

      // The same folder again: incremental, nothing copied, the older database copy replaced.
      const second = JSON.parse(await cli('backup', '--to', folder, '--json')) as typeof summary;
      assert.equal(second.content.copiedFiles, 0);
      assert.equal(second.content.files, summary.content.files);
      assert.equal((await readdir(folder)).filter((n) => n.startsWith('database-')).length, 1);

      // Restore onto a new data directory (and, on PostgreSQL, a new empty database).
      const target = join(source.dir, 'restored');
      const targetEnv: Record<string, string> = {
        ...productEnv(up, target),
        PATCHBAY_DATABASE_DRIVER: driver,
        ...(driver === 'sqlite'
          ? { PATCHBAY_DATABASE_PATH: join(target, 'patchbay.db') }
          : { PATCHBAY_DATABASE_URL: await emptyPostgresUrl() }),
      };
      const restored = JSON.parse(await cliFor(source.dir, targetEnv)('restore', folder, '--json')) as {
        content: { files: number; requeued: number };
      };
      assert.equal(restored.content.files, summary.content.files);
      assert.equal(restored.content.requeued, 0);

      const handle = openDatabase(
        driver === 'sqlite'
          ? { driver, path: targetEnv.PATCHBAY_DATABASE_PATH! }
          : { driver, connectionString: targetEnv.PATCHBAY_DATABASE_URL! },
      );
      t.after(() => handle.close());
      const again = await startE2eClientServer(t, handle, targetEnv);
      // The old cookie is accepted: the cookie keys came with the database.
      const same = again.client(clientId);
      same.cookie = wua.cookie;
      const after = await scan(same);
      assert.deepEqual([...after.actions].sort(), [...before.actions].sort());
      const ext = await same.extended([after.revisions.get(cat.sec)!]);
      assert.equal(ext.locations.length, 1);
      const res = await request(ext.locations[0]!.url);
      assert.equal(res.statusCode, 200);
      const body = Buffer.from(await res.body.arrayBuffer());
      assert.ok(createHash('sha1').update(body).digest().equals(up.files.sec.sha1));
      assert.ok(ext.locations[0]!.url.startsWith(again.baseUrl), 'served by the restored server');
    });

    void test('a tampered file, a truncated database copy or a missing manifest is refused and changes nothing', async (t) => {
      const { source, up, cli } = await syncedServer(t, driver);
      const folder = join(source.dir, 'backup');
      await cli('backup', '--to', folder);
      const manifest = JSON.parse(await readFile(join(folder, 'backup.json'), 'utf8')) as {
        database: { file: string };
        content: { list: string };
      };

      const refuse = async (why: RegExp) => {
        const target = join(source.dir, `restored-${randomUUID()}`);
        const targetEnv: Record<string, string> = {
          ...productEnv(up, target),
          PATCHBAY_DATABASE_DRIVER: driver,
          ...(driver === 'sqlite'
            ? { PATCHBAY_DATABASE_PATH: join(target, 'patchbay.db') }
            : { PATCHBAY_DATABASE_URL: await emptyPostgresUrl() }),
        };
        const r = await runIn(source.dir, targetEnv, ['restore', folder]);
        assert.equal(r.code, 65, r.stderr);
        assert.match(r.stderr, /PB_ERR_BACKUP_INVALID/);
        assert.match(r.stderr, why);
        // Nothing written: no database, no stored file.
        assert.equal(existsSync(join(target, 'patchbay.db')), false);
        const stored = await readdir(join(target, 'content')).catch(() => [] as string[]);
        assert.deepEqual(
          stored.filter((n) => !n.startsWith('.')),
          [],
        );
        if (driver === 'postgres') {
          const h = openDatabase({ driver, connectionString: targetEnv.PATCHBAY_DATABASE_URL! });
          try {
            assert.equal(await isEmptyDatabase(h), true);
          } finally {
            await h.close();
          }
        }
      };

      // One byte of one stored file changed.
      const list = (await readFile(join(folder, manifest.content.list), 'utf8')).trim().split('\n');
      const sha1 = (JSON.parse(list[0]!) as { sha1: string }).sha1;
      const file = join(folder, 'content', sha1.slice(0, 2), sha1);
      const original = await readFile(file);
      const bad = Buffer.from(original);
      bad[0] = bad[0]! ^ 0xff;
      await writeFile(file, bad);
      await refuse(/does not match its digests/);
      await writeFile(file, original);

      // The database copy cut short, then grown.
      const dbCopy = join(folder, manifest.database.file);
      const dbBytes = await readFile(dbCopy);
      await truncate(dbCopy, Math.floor(dbBytes.length / 2));
      await refuse(/database copy .* does not match/);
      await writeFile(dbCopy, dbBytes);
      await appendFile(join(folder, manifest.content.list), `${list[0]}\n`);
      await refuse(/content list .* does not match/);
      await writeFile(join(folder, manifest.content.list), `${list.join('\n')}\n`);

      // No manifest: an interrupted first backup.
      const m = await readFile(join(folder, 'backup.json'));
      await writeFile(join(folder, 'backup.json.partial'), m);
      await rm(join(folder, 'backup.json'));
      await refuse(/there is no backup.json/);
    });
  });
}
