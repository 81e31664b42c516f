/**
 * Issue 16 item 5, on SQLite and PostgreSQL: `patchbay export` from a server synchronized from the fake
 * upstream, `patchbay import` into another with its own data directory and database and no upstream it ever
 * talks to; a Windows-like client of the second server then scans, gets the approved update and downloads
 * its file byte-exact. A tampered chunk, a truncated bundle, an edited manifest and a replayed older bundle
 * are refused with their codes and change nothing; an incremental export carries only the new revision and
 * the new approval; an interrupted export and an interrupted import resume where they stopped.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { exportBundle, importBundle } from '../../../src/bundle/index.js';
import { runCli } from '../../../src/cli/index.js';
import { createRepositories, FsContentStore, type DbHandle } from '../../../src/storage/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres } from '../../helpers/admin-db.js';
import type { WuspClient } from '../client-service/wusp-client.js';
import { startE2eClientServer } from '../e2e/e2e-client-server.js';
import { cat, productEnv, startProductUpstream } from '../e2e/product-upstream.js';

after(() => stopAdminPostgres());

async function runIn(cwd: string, env: Record<string, string>, args: string[]) {
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

function cliFor(cwd: string, env: Record<string, string>) {
  return async (...args: string[]) => {
    const r = await runIn(cwd, env, args);
    assert.equal(r.code, 0, `patchbay ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
}

const updateIdOf = (xml: string): string => /UpdateIdentity UpdateID="([^"]+)"/.exec(xml)![1]!.toLowerCase();

async function scan(wua: WuspClient) {
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

/** What an import may change: the catalog, the approvals, the stored files, the import history. */
async function snapshot(db: DbHandle, contentDir: string) {
  const repos = createRepositories(db);
  const entries = await readdir(contentDir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile());
  return {
    active: (await repos.generations.getActive())?.generationId ?? null,
    revisions: (await repos.revisionGraph.identities()).length,
    approvals: (await repos.approvals.listForGroups((await repos.groups.list()).map((g) => g.groupId)))
      .length,
    groups: (await repos.groups.list()).length,
    lastImport: (await repos.bundles.lastFinished('import'))?.exportId ?? null,
    files: files.length,
  };
}

for (const driver of adminDrivers()) {
  void describe(`air-gap export and import (${driver})`, () => {
    void test('export, refusals, import, scan, incremental, replay, resume', async (t) => {
      // The connected server: synchronized, a group, one approved update with its file stored.
      const source = await openTestDatabase(t, driver);
      const up = await startProductUpstream(t);
      const env = { ...source.env, ...productEnv(up, source.dir) };
      const cli = cliFor(source.dir, env);
      await cli('groups', 'create', 'Ring 1');
      await cli('sync', '--quiet');
      await cli('approve', cat.sec, '--group', 'Ring 1');
      await cli('content', 'download');
      const sourceStore = await FsContentStore.open(join(source.dir, 'content'));

      // Export, interrupted after two chunks, then resumed: the two chunks are kept.
      const full = join(source.dir, 'bundle-1');
      const base = {
        db: source.handle,
        store: sourceStore,
        content: 'approved' as const,
        approvals: true,
        declines: true,
        groups: true,
        rules: true,
        chunkSize: 256 * 1024,
        patchbayVersion: 'test',
      };
      await assert.rejects(
        exportBundle({
          ...base,
          to: full,
          afterChunk: (n) => {
            if (n === 2) throw new Error('power cut');
          },
        }),
        /power cut/,
      );
      const first = await exportBundle({ ...base, to: full });
      assert.equal(first.chunksKept, 2);
      assert.ok(first.chunks >= 5, `${first.chunks} chunks`);
      assert.equal(first.contentFiles, 1);
      assert.equal(first.sequence, 1);
      assert.ok(first.documents >= 6);

      // The disconnected server: its own data directory and database, no upstream it could reach.
      const target = await openTestDatabase(t, driver);
      const targetEnv = {
        ...target.env,
        PATCHBAY_SERVER_DATA_DIR: target.dir,
        PATCHBAY_CONTENT_DIR: join(target.dir, 'content'),
        PATCHBAY_CONTENT_MODE: 'approved',
        PATCHBAY_UPSTREAM_URL: 'http://127.0.0.1:9/ServerSyncWebService/ServerSyncWebService.asmx',
      };
      const contentDir = join(target.dir, 'content');
      const before = await snapshot(target.handle, contentDir);

      // Refused, with nothing changed: a tampered chunk, a truncated bundle, an edited manifest.
      const refuse = async (damage: (dir: string) => Promise<void>, code: string, why: RegExp) => {
        const copy = join(source.dir, `damaged-${randomUUID()}`);
        await cp(full, copy, { recursive: true });
        await damage(copy);
        const r = await runIn(target.dir, targetEnv, ['import', copy]);
        assert.equal(r.code, 65, r.stderr);
        assert.match(r.stderr, new RegExp(code));
        assert.match(r.stderr, why);
        assert.deepEqual(await snapshot(target.handle, contentDir), before);
        await rm(copy, { recursive: true });
      };
      const chunkPath = (dir: string, n: number) =>
        join(dir, 'chunks', `chunk-${String(n).padStart(6, '0')}.bin`);
      await refuse(
        async (d) => {
          const b = await readFile(chunkPath(d, 3));
          b[100] = b[100]! ^ 0xff;
          await writeFile(chunkPath(d, 3), b);
        },
        'PB_ERR_BUNDLE_INVALID',
        /chunk 3: SHA-256 differs/,
      );
      await refuse(
        (d) => rm(chunkPath(d, first.chunks)),
        'PB_ERR_BUNDLE_INVALID',
        /missing \(truncated bundle\)/,
      );
      await refuse(
        async (d) => {
          const m = await readFile(join(d, 'manifest.json'), 'utf8');
          await writeFile(join(d, 'manifest.json'), m.replace('"sequence": 1', '"sequence": 9'));
        },
        'PB_ERR_BUNDLE_INVALID',
        /does not match manifest\.json\.sha256/,
      );

      // Import, interrupted after two verified chunks, then resumed: those two are not hashed again.
      const targetStore = await FsContentStore.open(contentDir);
      await assert.rejects(
        importBundle({
          db: target.handle,
          store: targetStore,
          from: full,
          contentMode: 'approved',
          afterChunkVerified: (n) => {
            if (n === 2) throw new Error('power cut');
          },
        }),
        /power cut/,
      );
      const dry = JSON.parse(await cliFor(target.dir, targetEnv)('import', full, '--dry-run', '--json')) as {
        dryRun: boolean;
      };
      assert.equal(dry.dryRun, true);
      const imported = JSON.parse(
        await cliFor(target.dir, targetEnv)('import', full, '--digest', first.manifestSha256, '--json'),
      ) as { chunksSkipped: number; sync: { generationChanged: boolean; counters: Record<string, number> } };
      assert.equal(imported.chunksSkipped, 2);
      assert.equal(imported.sync.generationChanged, true);
      assert.equal(imported.sync.counters.revisionsImported, first.documents);
      assert.equal(imported.sync.counters.revisionsQuarantined, 0);

      // A client of the disconnected server: the approved update, its file served and byte-exact.
      const server = await startE2eClientServer(t, target.handle, targetEnv);
      const clientId = randomUUID();
      const wua = server.client(clientId);
      await wua.handshake();
      await wua.register();
      await cliFor(target.dir, targetEnv)('groups', 'add-computer', 'Ring 1', clientId);
      await wua.handshake();
      const seen = await scan(wua);
      assert.equal(seen.actions.get(cat.sec), 'Install');
      const ext = await wua.extended([seen.revisions.get(cat.sec)!]);
      assert.equal(ext.locations.length, 1);
      assert.ok(ext.locations[0]!.url.startsWith(server.baseUrl), 'served by the disconnected server');
      const res = await request(ext.locations[0]!.url);
      assert.equal(res.statusCode, 200);
      const body = Buffer.from(await res.body.arrayBuffer());
      assert.ok(createHash('sha1').update(body).digest().equals(up.files.sec.sha1));

      // The same bundle again: replayed.
      const again = await runIn(target.dir, targetEnv, ['import', full]);
      assert.equal(again.code, 65, again.stderr);
      assert.match(again.stderr, /PB_ERR_BUNDLE_REPLAYED/);

      // Incremental: a new revision upstream and a new approval; only they travel.
      up.expireOne();
      await cli('sync', '--quiet');
      await cli('approve', cat.secOther, '--group', 'Ring 1');
      await cli('content', 'download');
      const second = JSON.parse(
        await cli(
          'export',
          '--to',
          join(source.dir, 'bundle-2'),
          '--since',
          full,
          '--chunk-size',
          '0.25',
          '--json',
        ),
      ) as { documents: number; contentFiles: number; sequence: number; sinceExportId: string };
      assert.equal(second.documents, 1);
      assert.equal(second.contentFiles, 1);
      assert.equal(second.sequence, 2);
      assert.equal(second.sinceExportId, first.exportId);
      const inc = JSON.parse(
        await cliFor(target.dir, targetEnv)('import', join(source.dir, 'bundle-2'), '--json'),
      ) as { sync: { counters: Record<string, number> }; deployments: { approvalsSet: number } };
      assert.equal(inc.sync.counters.revisionsImported, 1);
      assert.equal(inc.deployments.approvalsSet, 1);
      await wua.handshake();
      assert.equal((await scan(wua)).actions.get(cat.secOther), 'Install');

      // An incremental export (sequence 3) and a full one after it (4); the full one imported first, the
      // older one is then refused and changes nothing.
      const b3 = join(source.dir, 'bundle-3');
      // Its chunk size from the configuration (`[bundle] chunk_size`), as no --chunk-size is given.
      await cliFor(source.dir, { ...env, PATCHBAY_BUNDLE_CHUNK_SIZE: '512KiB' })(
        'export',
        '--to',
        b3,
        '--since',
        join(source.dir, 'bundle-2'),
        '--content',
        'none',
      );
      const m3 = JSON.parse(await readFile(join(b3, 'manifest.json'), 'utf8')) as { chunkSize: number };
      assert.equal(m3.chunkSize, 512 * 1024);
      // Out of range: a usage error naming the range, and no export taken.
      const tiny = await runIn(source.dir, env, [
        'export',
        '--to',
        join(source.dir, 'x'),
        '--chunk-size',
        '0.1',
      ]);
      assert.equal(tiny.code, 64, tiny.stderr);
      assert.match(tiny.stderr, /between 256 KiB and 4 GiB/);
      const badIni = await runIn(source.dir, { ...env, PATCHBAY_BUNDLE_CHUNK_SIZE: '1KiB' }, [
        'export',
        '--to',
        join(source.dir, 'x'),
      ]);
      assert.notEqual(badIni.code, 0);
      assert.match(badIni.stderr, /PATCHBAY_BUNDLE_CHUNK_SIZE/);
      const fourth = JSON.parse(
        await cli('export', '--to', join(source.dir, 'bundle-4'), '--chunk-size', '0.25', '--json'),
      ) as { sequence: number };
      assert.equal(fourth.sequence, 4);
      await cliFor(target.dir, targetEnv)('import', join(source.dir, 'bundle-4'));
      const settled = await snapshot(target.handle, contentDir);
      const older = await runIn(target.dir, targetEnv, ['import', b3]);
      assert.equal(older.code, 65, older.stderr);
      assert.match(older.stderr, /PB_ERR_BUNDLE_REPLAYED/);
      assert.match(older.stderr, /export 3 of server .*export 4/);
      assert.deepEqual(await snapshot(target.handle, contentDir), settled);
    });
  });
}
