/**
 * Issue 18 items 3-4, on SQLite and PostgreSQL, through the sync path from the fake upstream and a WUA-like
 * scan. SYNTHETIC documents shaped per the specification (no capture has a PatchingType or a checkpoint
 * update; docs/protocol/update-xml.md "Express and PSF files" lists what is UNVERIFIED):
 * - an update with a full file (SelfContained) and its express files (Express + PSF): with `[content]
 *   express` off only the full file is downloaded and announced and the update is offered; turned on, the
 *   express files are downloaded and announced too;
 * - an update published with express files only: they are downloaded even with express off;
 * - a checkpoint cumulative update naming three MSUs: all three downloaded, offered with its prerequisite
 *   chain gated (not offered while the 24H2 detectoid is not installed) and announced in document order;
 * - a file whose download has more bytes than the document declares: refused (PB_ERR_CONTENT_SIZE_MISMATCH),
 *   never stored or announced, its update not offered, `updates show` says why; fixed upstream, the next
 *   run retries and it is offered.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { createAdminServices } from '../../../src/admin/index.js';
import type { Config } from '../../../src/config/index.js';
import { downloadAndAnnounce } from '../../../src/content-sync/index.js';
import type { FsContentStore } from '../../../src/storage/index.js';
import { runSyncPipeline, transportOptionsFromConfig, UpstreamTransport } from '../../../src/sync/index.js';
import type { AdminActor } from '../../../src/fleet/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres } from '../../helpers/admin-db.js';
import { syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { payload } from '../../helpers/seed-catalog.js';
import { silentLogger } from '../client-service/harness.js';
import type { WuspClient } from '../client-service/wusp-client.js';
import type { FakeFile } from '../content-sync/fake-content-upstream.js';
import { startE2eClientServer } from './e2e-client-server.js';
import { cat, productEnv, startProductUpstream } from './product-upstream.js';

after(() => stopAdminPostgres());

const admin: AdminActor = { via: 'cli', name: 'tester' };
const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const u = {
  /** Full file + express files. */
  express: id(0xc1),
  /** Express files only. */
  expressOnly: id(0xc2),
  /** Checkpoint cumulative update: three MSUs. */
  checkpoint: id(0xc3),
  /** A file the upstream sends with extra bytes. */
  wrongSize: id(0xc4),
  /** The detectoid of the build the checkpoint applies to (24H2). */
  build24h2: id(0xc5),
};
const updateIdOf = (xml: string): string => /UpdateIdentity UpdateID="([^"]+)"/.exec(xml)![1]!.toLowerCase();

function securityUpdate(
  updateId: string,
  title: string,
  files: readonly { f: FakeFile; patchingType?: string }[],
  prerequisites: readonly (readonly string[])[] = [[cat.detectoid]],
): string {
  return syntheticDocument(updateId, 200, {
    title: `SYNTHETIC (test) ${title}`,
    prerequisites,
    categoryClauses: [[cat.product], [cat.securityUpdates]],
    files: files.map(({ f, patchingType }) => ({
      name: f.name,
      sha1: f.sha1,
      size: f.size,
      ...(patchingType ? { patchingType } : {}),
    })),
  }).replace('UpdateType="Software"', 'UpdateType="Software" ExplicitlyDeployable="true"');
}

/**
 * One scan as WUA runs it (paged, prerequisites first): a non-leaf update (detectoid) is reported installed
 * unless listed in `notApplicable`. Returns update id -> [revision id, action].
 */
async function scan(
  wua: WuspClient,
  notApplicable: ReadonlySet<string>,
): Promise<Map<string, [number, string]>> {
  const installed = new Set<number>();
  const cached = new Set<number>();
  const seen = new Map<string, [number, string]>();
  for (let page = 0; page < 50; page++) {
    const a = await wua.sync({ installed: [...installed], other: [...cached] });
    for (const x of a.newUpdates) {
      const updateId = updateIdOf(x.xml);
      seen.set(updateId, [x.id, x.action]);
      // WUA sends an evaluated update back as installed (an applicable detectoid) or as cached (the rest).
      if (!x.isLeaf && !notApplicable.has(updateId)) installed.add(x.id);
      else cached.add(x.id);
    }
    if (a.newUpdates.length === 0) return seen;
  }
  throw new Error('scan did not finish in 50 pages');
}

for (const driver of adminDrivers()) {
  void describe(`express files, checkpoint updates and wrong sizes (${driver})`, () => {
    void test('express off/on, three MSUs in order behind their prerequisite, a wrong size refused then retried', async (t) => {
      const { handle, dir, env: dbEnv } = await openTestDatabase(t, driver);
      const up = await startProductUpstream(t);
      const add = (n: number, name: string) => up.content.add(payload(n), name);
      const f = {
        full: await add(210_001, 'windows11.0-kb5099100-x64.cab'),
        expressCab: await add(30_002, 'windows11.0-kb5099100-x64-express.cab'),
        psf: await add(150_003, 'windows11.0-kb5099100-x64.psf'),
        onlyCab: await add(20_004, 'windows11.0-kb5099101-x64-express.cab'),
        onlyPsf: await add(90_005, 'windows11.0-kb5099101-x64.psf'),
        msu1: await add(120_006, 'windows11.0-kb5043080-x64.msu'),
        msu2: await add(80_007, 'windows11.0-kb5048667-x64.msu'),
        msu3: await add(160_008, 'windows11.0-kb5099200-x64.msu'),
        bad: await add(40_009, 'windows11.0-kb5099300-x64.msu'),
      };
      const put = (updateId: string, text: string, revision = 200) =>
        up.catalog.put({ identity: { updateId, revisionNumber: revision }, text, listed: true });
      put(u.build24h2, syntheticDocument(u.build24h2, 100, { type: 'Detectoid' }), 100);
      put(
        u.express,
        securityUpdate(u.express, 'Cumulative with express files', [
          { f: f.full, patchingType: 'SelfContained' },
          { f: f.expressCab, patchingType: 'Express' },
          { f: f.psf, patchingType: 'PSF' },
        ]),
      );
      put(
        u.expressOnly,
        securityUpdate(u.expressOnly, 'Express files only', [
          { f: f.onlyCab, patchingType: 'Express' },
          { f: f.onlyPsf, patchingType: 'PSF' },
        ]),
      );
      const checkpointFiles = [f.msu1, f.msu2, f.msu3];
      put(
        u.checkpoint,
        securityUpdate(
          u.checkpoint,
          'Checkpoint cumulative update',
          checkpointFiles.map((x) => ({ f: x })),
          [[cat.detectoid], [u.build24h2]],
        ),
      );
      put(u.wrongSize, securityUpdate(u.wrongSize, 'Wrong size in transit', [{ f: f.bad }]));
      up.content.faults.oversize.set(f.bad.hex, 4096);

      const env = { ...dbEnv, ...productEnv(up, dir) };
      const server = await startE2eClientServer(t, handle, env);
      assert.equal(server.config.content.express, false, 'express files are off by default, as in WSUS');
      const transport = new UpstreamTransport(
        transportOptionsFromConfig(server.config, { logger: silentLogger }),
      );
      t.after(() => transport.close());
      const sync = await runSyncPipeline(
        { db: handle, store: server.store, transport },
        { config: server.config, triggerSource: 'test', nodeId: 'test' },
      );
      assert.equal(sync.sync.outcome, 'succeeded');

      const services = createAdminServices(handle, { contentMode: 'approved', express: false });
      await services.groups.create({ name: 'Ring 1' }, admin);
      await services.approvals.approve(
        {
          selection: { updateIds: [u.express, u.expressOnly, u.checkpoint, u.wrongSize] },
          groups: ['Ring 1'],
          action: 'install',
        },
        admin,
      );
      const download = (config: Config, store: FsContentStore) =>
        downloadAndAnnounce(
          { db: handle, store, transport },
          {
            upstreamUrl: config.upstream.url,
            mode: config.content.mode,
            express: config.content.express,
            triggerSource: 'test',
            attemptsPerRun: 2,
            retryBaseMs: 1,
            retryMaxMs: 5,
            failedRetryBaseMs: 0,
          },
        );
      const fetched = () => new Set(up.content.requests.map((r) => r.hex));
      const first = await download(server.config, server.store);
      assert.equal(first.filesFailed, 1);
      assert.equal(first.failures[0]?.code, 'PB_ERR_CONTENT_SIZE_MISMATCH');
      assert.match(
        first.failures[0]?.message ?? '',
        /more than the 40009 bytes the update metadata declares/,
      );
      const got = fetched();
      for (const x of [f.full, f.onlyCab, f.onlyPsf, ...checkpointFiles])
        assert.ok(got.has(x.hex), `${x.name} downloaded`);
      for (const x of [f.expressCab, f.psf])
        assert.ok(!got.has(x.hex), `${x.name} not downloaded (express off)`);
      assert.equal(await server.store.has(f.bad.sha1), false, 'the wrong-size file is never stored');
      assert.equal(await server.store.partialSize(f.bad.sha1), 0);

      const clientId = randomUUID();
      const wua = server.client(clientId);
      await wua.handshake();
      await wua.register();
      await services.groups.addComputer('Ring 1', clientId, admin);
      await wua.handshake();

      // The 24H2 detectoid does not apply: the checkpoint update is not offered.
      const older = await scan(wua, new Set([u.build24h2]));
      assert.equal(
        older.has(u.checkpoint),
        false,
        'prerequisite chain: not offered without the 24H2 detectoid',
      );
      const seen = await scan(wua, new Set());
      const rev = (updateId: string) => seen.get(updateId)![0];
      assert.equal(
        seen.get(u.express)?.[1],
        'Install',
        'offered: it does not wait for the skipped express files',
      );
      assert.equal(seen.get(u.expressOnly)?.[1], 'Install');
      assert.equal(seen.get(u.checkpoint)?.[1], 'Install');
      assert.notEqual(seen.get(u.wrongSize)?.[1], 'Install', 'its file was refused: not offered');
      const locs = async (updateId: string) => (await wua.extended([rev(updateId)])).locations;
      const hexes = (l: { digest: Buffer }[]) => l.map((x) => x.digest.toString('hex').toUpperCase());
      assert.deepEqual(hexes(await locs(u.express)), [f.full.hex], 'express off: only the full file');
      assert.deepEqual(hexes(await locs(u.expressOnly)), [f.onlyCab.hex, f.onlyPsf.hex]);
      const ordered = await locs(u.checkpoint);
      assert.deepEqual(
        hexes(ordered),
        checkpointFiles.map((x) => x.hex),
        'the three MSUs in document order',
      );
      assert.deepEqual(await locs(u.wrongSize), []);
      // The client fetches them as Delivery Optimization does (closed ranges) and gets the MSU type.
      for (const [i, loc] of ordered.entries()) {
        const x = checkpointFiles[i]!;
        const res = await request(loc.url, { headers: { range: `bytes=0-${x.size - 1}` } });
        assert.equal(res.statusCode, 206);
        assert.equal(res.headers['content-range'], `bytes 0-${x.size - 1}/${x.size}`);
        assert.equal(res.headers['content-type'], 'application/octet-stream');
        assert.ok(Buffer.from(await res.body.arrayBuffer()).equals(x.bytes));
      }
      const show = await services.updates.show(u.wrongSize);
      assert.equal(show.content?.state, 'failed');
      assert.match(show.content?.reason ?? '', /PB_ERR_CONTENT_SIZE_MISMATCH/);

      // The upstream sends the right bytes again: the next run retries the refused file.
      up.content.faults.oversize.delete(f.bad.hex);
      const retried = await download(server.config, server.store);
      assert.equal(retried.filesFailed, 0);
      assert.equal(retried.filesDownloaded, 1);
      assert.equal((await scan(wua, new Set())).get(u.wrongSize)?.[1], 'Install');

      // Express on (a restart with the new setting): the express files are downloaded and announced too.
      const on = await startE2eClientServer(t, handle, { ...env, PATCHBAY_CONTENT_EXPRESS: 'true' });
      assert.equal(on.config.content.express, true);
      const third = await download(on.config, on.store);
      assert.equal(third.filesDownloaded, 2);
      const wuaOn = on.client(clientId);
      await wuaOn.handshake();
      assert.deepEqual(
        hexes((await wuaOn.extended([rev(u.express)])).locations),
        [f.full.hex, f.expressCab.hex, f.psf.hex],
        'express on: the full file and the express files',
      );
    });
  });
}
