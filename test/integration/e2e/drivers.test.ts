/**
 * Issue 18 item 2, on SQLite and PostgreSQL: a SYNTHETIC driver catalog (test/helpers/fake-upstream/
 * driver-catalog.ts, shaped per the specification) synchronized through the sync path with the Drivers
 * classification selected, approved in part, then a Windows-like client's driver pass (SystemSpec with three
 * devices) gets exactly the best approved driver per device by the SPEC ranking; a driver document with
 * 100,000 hardware ids is quarantined with its reason. The 200,000-driver catalog is the bench's
 * (bench/driver-pass.ts): importing it through the sync path takes minutes, too slow for the suite.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import type { AdminActor } from '../../../src/fleet/index.js';
import { listQuarantine, runSync, setSelection } from '../../../src/sync/index.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres } from '../../helpers/admin-db.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import {
  buildDriverCatalog,
  driverDocument,
  driversClassification,
  hardwareIdOf,
  versionKey,
  type SyntheticDriver,
} from '../../helpers/fake-upstream/driver-catalog.js';
import { buildRealCatalog, ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { syntheticGuid } from '../../helpers/synthetic-catalog.js';
import { testTransport } from '../sync/harness.js';
import { startE2eClientServer } from './e2e-client-server.js';

after(() => stopAdminPostgres());

const admin: AdminActor = { via: 'cli', name: 'tester' };
const driverCount = 500;
const hardwareIdCount = 50;

for (const driver of adminDrivers()) {
  void describe(`drivers (${driver})`, () => {
    void test('sync with Drivers selected -> approve some -> driver pass gets the best approved per device', async (t) => {
      const { handle, dir } = await openTestDatabase(t, driver);
      const model = buildDriverCatalog(driverCount, hardwareIdCount);
      const categories = [[ids.defender], [driversClassification]];
      // A newer driver for id 0 the client cannot take: its prerequisite (a detectoid) is not installed.
      const gated: SyntheticDriver = {
        updateId: syntheticGuid(9_000_001, 0xd8),
        hardwareIds: [hardwareIdOf(0)],
        verDate: '2030-01-01',
        verVersion: '10.0.9.9',
      };
      // 100,000 hardware ids in one document: quarantined, never indexed.
      const flood: SyntheticDriver = {
        updateId: syntheticGuid(9_000_002, 0xd8),
        hardwareIds: Array.from({ length: 100_000 }, (_, n) => `USB\\VID_${n}`),
        verDate: '2024-01-01',
        verVersion: '1.0.0.0',
      };
      const entry = (identity: { updateId: string; revisionNumber: number }, text: string) => ({
        identity,
        text,
        listed: true,
      });
      const up = await startCatalogUpstream({
        entries: [
          ...buildRealCatalog().entries,
          entry(
            { updateId: driversClassification, revisionNumber: 100 },
            syntheticDocument(driversClassification, 100, {
              type: 'Category',
              categoryType: 'UpdateClassification',
              title: 'Drivers',
            }),
          ),
          ...model.drivers.map((d) =>
            entry({ updateId: d.updateId, revisionNumber: 100 }, driverDocument(d, 100, { categories })),
          ),
          entry(
            { updateId: gated.updateId, revisionNumber: 100 },
            driverDocument(gated, 100, { categories, prerequisites: [[ids.detectoids[0]]] }),
          ),
          entry(
            { updateId: flood.updateId, revisionNumber: 100 },
            driverDocument(flood, 100, { categories, lean: true }),
          ),
        ],
      });
      t.after(() => up.close());
      await setSelection(handle, {
        products: [ids.defender],
        classifications: ['Drivers'],
        languages: ['en'],
      });
      const started = Date.now();
      const r = await runSync(
        { db: handle, transport: testTransport(t, { timeouts: { soapDeadlineMs: 60_000 } }) },
        { upstreamUrl: up.serverSyncUrl, nodeId: 'test' },
      );
      t.diagnostic(`synced ${driverCount + 2} drivers in ${Date.now() - started} ms (${r.outcome})`);
      const q = (await listQuarantine(handle)).find((e) => e.updateId === flood.updateId);
      assert.equal(q?.reasonCode, 'driver_limit');
      assert.match(q?.detail ?? '', /lists 100000 driver hardware ids .* at most 10000/);
      const rows = await handle.db
        .selectFrom('revision_drivers')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(rows.n), driverCount + 1, 'one row per driver hardware id, none of the flood');

      // Approve two drivers of three (and the gated one) for Ring 1.
      const services = createAdminServices(handle);
      await services.groups.create({ name: 'Ring 1' }, admin);
      const approved = model.drivers.filter((_, i) => i % 3 !== 0);
      const toApprove = [...approved.map((d) => d.updateId), gated.updateId];
      for (let i = 0; i < toApprove.length; i += 1000)
        await services.approvals.approve(
          { selection: { updateIds: toApprove.slice(i, i + 1000) }, groups: ['Ring 1'], action: 'install' },
          admin,
        );

      const env = {
        PATCHBAY_SERVER_DATA_DIR: dir,
        PATCHBAY_CONTENT_DIR: join(dir, 'content'),
        PATCHBAY_CONTENT_MODE: 'none',
        PATCHBAY_UPSTREAM_URL: up.serverSyncUrl,
      };
      const { client } = await startE2eClientServer(t, handle, env);
      const clientId = randomUUID();
      const wua = client(clientId);
      await wua.handshake();
      await wua.register();
      await services.groups.addComputer('Ring 1', clientId, admin);
      await wua.handshake();

      const revisionOf = new Map(
        (await handle.db.selectFrom('revisions').select(['update_id', 'revision_id']).execute()).map((x) => [
          x.update_id,
          x.revision_id,
        ]),
      );
      // The expected answer from the model: per device, its ids in order; the first id with an approved
      // driver wins, then the newest date, then the highest version, then the lowest revision id.
      const bestFor = (deviceIds: readonly string[], installed?: SyntheticDriver): number | undefined => {
        for (const id of deviceIds) {
          const list = approved
            .filter((d) => d.hardwareIds[0] === id)
            .sort(
              (a, b) =>
                b.verDate.localeCompare(a.verDate) ||
                Number(versionKey(b.verVersion) - versionKey(a.verVersion)) ||
                revisionOf.get(a.updateId)! - revisionOf.get(b.updateId)!,
            );
          const top = list[0];
          if (top === undefined) continue;
          if (installed && installed.verDate >= top.verDate) return undefined;
          return revisionOf.get(top.updateId);
        }
        return undefined;
      };
      const newest = (id: string) =>
        model.drivers
          .filter((d) => d.hardwareIds[0] === id)
          .sort((a, b) => b.verDate.localeCompare(a.verDate))[0]!;
      const devices = [
        // A hardware-id match beats a newer compatible-id match.
        { hardwareIds: [hardwareIdOf(0)], compatibleIds: [hardwareIdOf(1)] },
        // No driver for the hardware id: the compatible id's best.
        { hardwareIds: ['PCI\\VEN_FFFF&DEV_0001'], compatibleIds: [hardwareIdOf(2).toLowerCase()] },
        // The installed driver is as new as anything there is: nothing offered.
        {
          hardwareIds: [hardwareIdOf(3)],
          installed: {
            matchingId: hardwareIdOf(3),
            verDate: `${newest(hardwareIdOf(3)).verDate}T00:00:00Z`,
            verVersion: '2814751477604196',
          },
        },
      ];
      const expected = [
        bestFor([hardwareIdOf(0), hardwareIdOf(1)]),
        bestFor([hardwareIdOf(2)]),
        bestFor([hardwareIdOf(3)], newest(hardwareIdOf(3))),
      ].filter((x): x is number => x !== undefined);
      assert.equal(expected.length, 2);

      const pass = await wua.sync({ driver: true, devices });
      assert.deepEqual(
        pass.newUpdates.map((u) => u.id).sort((a, b) => a - b),
        [...expected].sort((a, b) => a - b),
      );
      for (const u of pass.newUpdates) {
        assert.equal(u.action, 'Install');
        assert.equal(u.isLeaf, true);
        assert.match(u.xml, /UpdateType="Driver"/);
      }
      assert.equal(pass.truncated, false);
      assert.equal(pass.driverSyncNotNeeded, false);
      assert.ok(!pass.newUpdates.some((u) => u.id === revisionOf.get(gated.updateId)));

      // With the detectoid installed, the gated driver (newest, approved) wins device 1.
      const detectoidRev = revisionOf.get(ids.detectoids[0]);
      assert.ok(detectoidRev !== undefined);
      const gatedPass = await wua.sync({
        driver: true,
        devices: devices.slice(0, 1),
        installed: [detectoidRev],
      });
      assert.deepEqual(
        gatedPass.newUpdates.map((u) => u.id),
        [revisionOf.get(gated.updateId)],
      );

      // The next pass with the drivers cached: nothing new; a cached driver no longer best goes out of scope.
      const stale = revisionOf.get(approved.find((d) => d.hardwareIds[0] === hardwareIdOf(5))!.updateId)!;
      const again = await wua.sync({ driver: true, devices, cachedDrivers: [...expected, stale] });
      assert.deepEqual(again.newUpdates, []);
      assert.deepEqual(again.outOfScope, [stale]);

      // The software pass never offers a driver.
      const software = await wua.sync({});
      assert.ok(!software.newUpdates.some((u) => /UpdateType="Driver"/.test(u.xml)));
    });
  });
}
