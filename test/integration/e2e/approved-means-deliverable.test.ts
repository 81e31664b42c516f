/**
 * Issue 10 item 9, on SQLite and PostgreSQL: in content mode `approved` an approved update is offered to
 * clients only once its files are stored. `patchbay approve` (another process) -> a scan does not offer it
 * and names no file -> the server's automatic download (the poll of the change log and the queue, as
 * `serve` runs it) fetches it from the fake upstream within seconds -> the same client's next scan gets it
 * as Install with a FileLocation that downloads byte-exact; a file the upstream does not have shows
 * "content failed" with the reason in the CLI, and its update is still not offered.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { createAdminServices } from '../../../src/admin/index.js';
import { type AdminActor } from '../../../src/fleet/index.js';
import { ContentAutoDownload, downloadAndAnnounce } from '../../../src/content-sync/index.js';
import { createRepositories } from '../../../src/storage/index.js';
import { transportOptionsFromConfig, UpstreamTransport } from '../../../src/sync/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres } from '../../helpers/admin-db.js';
import { silentLogger } from '../client-service/harness.js';
import { WuspClient } from '../client-service/wusp-client.js';
import { cliFor, startE2eClientServer } from './e2e-client-server.js';
import { cat, productEnv, startProductUpstream } from './product-upstream.js';

after(() => stopAdminPostgres());

const admin: AdminActor = { via: 'cli', name: 'tester' };
const updateIdOf = (xml: string): string => /UpdateIdentity UpdateID="([^"]+)"/.exec(xml)![1]!.toLowerCase();

/** One scan as WUA runs it (paged, prerequisites first); returns update id -> action of what it was told. */
async function scan(
  wua: WuspClient,
  known: Map<number, string>,
  installed: Set<number>,
  cached: Set<number>,
): Promise<Map<string, string>> {
  const actions = new Map<string, string>();
  for (let page = 0; page < 50; page++) {
    const a = await wua.sync({ installed: [...installed], other: [...cached] });
    for (const u of a.newUpdates) {
      known.set(u.id, updateIdOf(u.xml));
      actions.set(updateIdOf(u.xml), u.action);
      (u.isLeaf ? cached : installed).add(u.id);
    }
    for (const u of a.changed) actions.set(known.get(u.id) ?? String(u.id), u.action);
    if (!a.truncated && a.newUpdates.every((u) => u.isLeaf)) return actions;
  }
  throw new Error('scan did not finish in 50 pages');
}

for (const driver of adminDrivers()) {
  void describe(`approved means deliverable (${driver})`, () => {
    void test('approve -> not offered -> downloaded within seconds -> offered with a working FileLocation', async (t) => {
      const { handle, dir, env: dbEnv } = await openTestDatabase(t, driver);
      const up = await startProductUpstream(t);
      const env = { ...dbEnv, ...productEnv(up, dir) };
      const cli = cliFor(dir, env);
      await createAdminServices(handle).groups.create({ name: 'Ring 1' }, admin);
      await cli('sync', '--quiet'); // nothing approved yet: no file is downloaded
      await cli('approve', cat.sec, '--group', 'Ring 1');
      const showSec = async () =>
        (JSON.parse(await cli('updates', 'show', cat.sec, '--json')) as { content: unknown }).content;
      assert.deepEqual(await showSec(), { state: 'waiting', reason: null });
      assert.match(await cli('updates', 'list'), /approved, waiting for content/);

      // The client server as `serve` builds it, over the database and store the CLI wrote.
      const { config, store, client } = await startE2eClientServer(t, handle, env);
      const clientId = randomUUID();
      const wua = client(clientId);
      await wua.handshake();
      await wua.register();
      await cli('groups', 'add-computer', 'Ring 1', clientId);
      await wua.handshake();

      // 1. Approved, files not stored: not offered for installation, no file named.
      const known = new Map<number, string>();
      const installed = new Set<number>();
      const cached = new Set<number>();
      const first = await scan(wua, known, installed, cached);
      assert.equal(first.get(cat.sec), 'PreDeploymentCheck');
      const secRev = [...known].find(([, u]) => u === cat.sec)![0];
      assert.deepEqual((await wua.extended([secRev])).locations, []);

      // 2. The automatic download picks the CLI's approval up (another process: through the change log).
      //    A second approval whose file the upstream does not have fails, with the reason.
      await up.content.store.delete(up.files.secOther.sha1);
      await cli('approve', cat.secOther, '--group', 'Ring 1');
      const transport = new UpstreamTransport(transportOptionsFromConfig(config, { logger: silentLogger }));
      t.after(() => transport.close());
      const auto = new ContentAutoDownload({
        db: handle,
        mode: 'approved',
        logger: silentLogger,
        pollMs: 200,
        download: (signal) =>
          downloadAndAnnounce(
            { db: handle, store, transport },
            { upstreamUrl: config.upstream.url, mode: 'approved', triggerSource: 'approval', signal },
          ),
      });
      const started = Date.now();
      auto.start();
      t.after(() => auto.stop());
      const files = createRepositories(handle).files;
      for (;;) {
        const sec = await files.get(up.files.sec.sha1);
        const other = await files.get(up.files.secOther.sha1);
        if (sec?.contentState === 'verified' && other?.contentState === 'failed') break;
        assert.ok(
          Date.now() - started < 15_000,
          `not downloaded in time: ${sec?.contentState}/${other?.contentState}`,
        );
        await new Promise((r) => setTimeout(r, 100));
      }
      t.diagnostic(`approved file downloaded ${Date.now() - started} ms after the server looked`);
      assert.deepEqual(await showSec(), { state: 'stored', reason: null });
      const other = JSON.parse(await cli('updates', 'show', cat.secOther, '--json')) as {
        content: { state: string; reason: string };
      };
      assert.equal(other.content.state, 'failed');
      assert.match(other.content.reason, /PB_ERR_UPSTREAM_HTTP/);
      assert.match(await cli('updates', 'show', cat.secOther), /content failed: PB_ERR_UPSTREAM_HTTP/);
      assert.match(await cli('updates', 'list'), /approved, content failed/);
      const rep = JSON.parse(await cli('reports', 'updates', '--format', 'json')) as {
        rows: { updateId: string; content: string }[];
      };
      const contentOf = (u: string) => rep.rows.find((r) => r.updateId === u)?.content;
      assert.equal(contentOf(cat.sec), 'stored');
      assert.match(contentOf(cat.secOther) ?? '', /^content failed: PB_ERR_UPSTREAM_HTTP/);
      assert.equal(contentOf(cat.defs), '');

      // 3. The same client's next scan: Install now, and the FileLocation downloads and verifies.
      const second = await scan(wua, known, installed, cached);
      assert.equal(second.get(cat.sec), 'Install');
      assert.notEqual(second.get(cat.secOther), 'Install');
      const ext = await wua.extended([secRev]);
      assert.equal(ext.locations.length, 1);
      const loc = ext.locations[0]!;
      assert.ok(loc.digest.equals(up.files.sec.sha1));
      const res = await request(loc.url);
      assert.equal(res.statusCode, 200);
      const body = Buffer.from(await res.body.arrayBuffer());
      assert.ok(createHash('sha1').update(body).digest().equals(up.files.sec.sha1));
    });
  });
}
