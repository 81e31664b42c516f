/**
 * The whole product path, on SQLite and PostgreSQL, with the real `patchbay` executable where an operator
 * would type a command: a catalog-mode fake upstream (SYNTHETIC catalog, /Content/ on the same origin) ->
 * `patchbay sync` (the engine; an automatic rule approves the definition update for Ring 1 and its file comes
 * in the same run) -> `patchbay approve` of a security update for Ring 1 -> `patchbay content download` ->
 * a simulated Windows client (test/helpers/simulated-client.ts, gating and no-resend checks) scans over real
 * HTTP against the client server built on the real services and gets exactly the two approved updates as
 * Install and the third as PreDeploymentCheck, fetches extended info, downloads a file in shuffled ranges
 * byte-exact, reports events -> `patchbay reports updates --format json` shows the reported states.
 * The catalog the client is served is the one the sync engine imported: no seeding helper on this path.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { createAdminServices } from '../../../src/admin/index.js';
import { type AdminActor } from '../../../src/fleet/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres } from '../../helpers/admin-db.js';
import { reportingEvent } from '../client-service/wusp-client.js';
import { coreFacts, simulatedScan } from '../client-service/wua-facts.js';
import { cliFor, startE2eClientServer } from './e2e-client-server.js';
import { cat, productEnv, startProductUpstream } from './product-upstream.js';

after(() => stopAdminPostgres());

const admin: AdminActor = { via: 'cli', name: 'tester' };

for (const driver of adminDrivers()) {
  void describe(`the whole product path (${driver})`, () => {
    void test('sync -> rule -> CLI approve -> client scan, ranged download, reports -> CLI report', async (t) => {
      const { handle, dir, env: dbEnv } = await openTestDatabase(t, driver);
      const up = await startProductUpstream(t);
      const env = { ...dbEnv, ...productEnv(up, dir) };
      const cli = cliFor(dir, env);
      const services = createAdminServices(handle);
      await services.groups.create({ name: 'Ring 1' }, admin);
      const rule = await services.rules.create(
        {
          name: 'Definitions',
          classifications: [cat.definitionUpdates],
          groups: ['Ring 1'],
          deadlineDays: 1,
        },
        admin,
      );

      // 1. patchbay sync: the engine imports the catalog, the rule approves the definition update, its file
      //    is downloaded in the same run (content mode approved).
      const sync = JSON.parse(await cli('sync', '--json', '--quiet')) as {
        outcome: string;
        rules: { approvals: number };
        content: { filesDownloaded: number };
      };
      assert.equal(sync.outcome, 'succeeded');
      assert.equal(sync.rules.approvals, 1);
      assert.equal(sync.content.filesDownloaded, 1);

      // 2. patchbay approve (another update, same group), then the content download for it.
      const approve = JSON.parse(await cli('approve', cat.sec, '--group', 'Ring 1', '--json')) as {
        changes: { updateId: string; action: string }[];
      };
      assert.deepEqual(
        approve.changes.map((c) => [c.updateId, c.action]),
        [[cat.sec, 'install']],
      );
      await cli('content', 'download');

      // 3. The client server on the real services over the database and store the CLI wrote.
      const { baseUrl, client } = await startE2eClientServer(t, handle, env);

      const clientId = randomUUID();
      const wua = client(clientId);
      await wua.handshake();
      await wua.register();
      await cli('groups', 'add-computer', 'Ring 1', clientId);
      await wua.handshake(); // the new cookie carries Ring 1

      // 4. The scan, as the simulated WUA runs it, over HTTP.
      const { report, xmlById } = await simulatedScan(wua);
      const byUpdate = new Map(
        report.delivered.map((d) => [coreFacts(xmlById.get(d.revisionId)!).updateId, d]),
      );
      const leaves = [...byUpdate].filter(([, d]) => d.isLeaf);
      assert.deepEqual(
        leaves.map(([u, d]) => [u, d.deployment.action]).sort(),
        [
          [cat.defs, 'Install'],
          [cat.sec, 'Install'],
          [cat.secOther, 'PreDeploymentCheck'],
        ].sort(),
      );
      for (const nonLeaf of [cat.product, cat.detectoid])
        assert.equal(byUpdate.get(nonLeaf)?.deployment.action, 'Evaluate');

      // 5. Extended info and FileLocations for the approved updates; a ranged download, byte-exact.
      const wanted = [cat.defs, cat.sec].map((u) => byUpdate.get(u)!.revisionId).sort((a, b) => a - b);
      const ext = await wua.extended(wanted);
      assert.equal(ext.locations.length, 2, 'both approved files are held and located');
      const secHex = up.files.sec.hex;
      const loc = ext.locations.find((l) => l.digest.toString('hex').toUpperCase() === secHex);
      assert.ok(loc, 'a FileLocation for the CLI-approved update file');
      assert.equal(new URL(loc.url).origin, baseUrl);
      const size = up.files.sec.size;
      const piece = 200_000;
      const ranges: [number, number][] = [];
      for (let s = 0; s < size; s += piece) ranges.push([s, Math.min(size, s + piece) - 1]);
      ranges.reverse();
      const into = Buffer.alloc(size);
      await Promise.all(
        ranges.map(async ([start, end]) => {
          const r = await request(loc.url, { headers: { range: `bytes=${start}-${end}` } });
          assert.equal(r.statusCode, 206);
          assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${size}`);
          Buffer.from(await r.body.arrayBuffer()).copy(into, start);
        }),
      );
      assert.ok(into.equals(up.files.sec.bytes), 'byte-exact download');

      // 6. Events: the definition update installed, the security update failed.
      const t0 = Date.now() - 5_000;
      assert.equal(
        await wua.report(
          reportingEvent({
            clientId,
            instanceId: randomUUID(),
            eventId: 183,
            updateId: cat.defs,
            revisionNumber: 200,
            at: new Date(t0),
          }) +
            reportingEvent({
              clientId,
              instanceId: randomUUID(),
              eventId: 182,
              updateId: cat.sec,
              revisionNumber: 200,
              hresult: -2145124322,
              at: new Date(t0 + 1),
            }),
        ),
        true,
      );

      // 7. The operator's report shows it.
      const rep = JSON.parse(await cli('reports', 'updates', '--format', 'json')) as {
        rows: { updateId: string; installed: number; failed: number; needed: number }[];
      };
      const row = (u: string) => rep.rows.find((r) => r.updateId === u);
      assert.equal(row(cat.defs)?.installed, 1, JSON.stringify(rep.rows));
      assert.equal(row(cat.sec)?.failed, 1);
      assert.equal(row(cat.secOther)?.installed ?? 0, 0);
      // And who approved what: the rule and the operator, in the audit trail.
      const audit = await services.audit.list({ action: 'approval.set' });
      assert.deepEqual(
        audit.items.map((e) => [e.actor.split(':')[0], e.targetId]).sort(),
        [
          ['cli', cat.sec],
          [`rule`, cat.defs],
        ].sort(),
      );
      assert.ok(audit.items.some((e) => e.actor === `rule:${rule.ruleId}`));
      t.diagnostic(`scan: ${report.calls} SyncUpdates calls, ${report.delivered.length} revisions`);
    });
  });
}
