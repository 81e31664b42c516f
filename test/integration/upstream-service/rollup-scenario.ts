/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- REST answers are untyped; the assertions check their shape. */
/**
 * Reporting roll-up across two tiers (issue 12 item 3), run on both databases (rollup-*.test.ts), real HTTP on
 * loopback: Patchbay B (upstream role) <- Patchbay C (synchronized from B). A Windows-like client registers
 * and reports at C; C rolls up; the client and its states appear at B in vComputerTarget (ParentServerId = C),
 * the status views, the computer report, vDownstreamServer, `downstreams show` and the REST API, with C's
 * last roll-up time. A second roll-up sends nothing; a new report sends only that computer. Hostile roll-up
 * requests (unknown parents, forged ids, oversized lists, garbage) get faults, and the per-downstream cap
 * holds however many computers a downstream invents. SPEC only: no real capture of roll-up exists.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { buildAdminServer } from '../../../src/http/index.js';
import { decodeSoapFault } from '../../../src/protocol/soap/index.js';
import {
  encodeRollupComputersRequest,
  encodeRollupComputerStatusRequest,
  encodeGetOutOfSyncComputersRequest,
} from '../../../src/protocol/reporting/index.js';
import { wrapServerSyncRequest } from '../../../src/protocol/server-sync/index.js';
import { createReportsService } from '../../../src/reports/index.js';
import { createRepositories, publicViewsDb } from '../../../src/storage/index.js';
import { runRollup, runSync } from '../../../src/sync/index.js';
import { postSoap, silentLogger, type Harness } from '../client-service/harness.js';
import { reportingEvent, WuspClient } from '../client-service/wusp-client.js';
import { openTestDb, testTransport, type DbKind } from '../sync/harness.js';
import { serveUpstream, startUpstreamPatchbay } from './harness.js';

const reportingPath = '/ReportingWebService/ReportingWebService.asmx';
const ns = 'http://www.microsoft.com/SoftwareDistribution';

function computer(id: string, parent: string, details = true) {
  return {
    computerId: id,
    lastSyncTime: new Date(),
    lastSyncResult: 1,
    lastReportedRebootTime: null,
    lastReportedStatusTime: new Date(),
    lastInventoryTime: null,
    parentServerId: parent,
    details: details
      ? {
          targetGroupIds: [],
          requestedTargetGroupNames: [],
          ipAddress: '10.9.9.9',
          fullDomainName: `${id.slice(0, 8)}.forged.invalid`,
          osMajor: 10,
          osMinor: 0,
          osBuild: 26100,
          osServicePackMajor: 0,
          osServicePackMinor: 0,
          osLocale: 'en-US',
          osFamily: 'Windows',
          osDescription: 'Windows 11',
          computerMake: undefined,
          computerModel: undefined,
          biosVersion: undefined,
          biosName: undefined,
          processorArchitecture: undefined,
          clientVersion: undefined,
        }
      : undefined,
  };
}

export function rollupScenario(kind: DbKind): void {
  void test(`[${kind}] B <- C: a client reporting at C appears with its states at B (views, report, downstreams, REST), incrementally; hostile roll-up gets faults and the cap holds`, async (t: TestContext) => {
    const b = await startUpstreamPatchbay(t, kind, { rollupMaxComputers: 2 });
    const c = await openTestDb(t, kind);
    const transport = testTransport(t);
    const cId = (await createRepositories(c).settings.getOrCreateInstanceId()).toLowerCase();
    const sync = await runSync(
      { db: c, transport },
      { upstreamUrl: b.serverSyncUrl, nodeId: 'c', accountName: 'c.lab.invalid' },
    );
    assert.equal(sync.outcome, 'succeeded');
    const { baseUrl: cBase } = await serveUpstream(t, c);

    // A Windows-like client at C: handshake, RegisterComputer, a status report (156) on two catalog updates.
    // Updates as the views call them (explicitly deployable software in the active catalog).
    const software = await publicViewsDb(c)
      .selectFrom('vupdate')
      .select('updateid as update_id')
      .orderBy('updateid')
      .limit(1)
      .execute();
    assert.equal(software.length, 1);
    const u1 = software[0]!.update_id;
    const harness = {
      post: (path: string, body: string, headers?: Record<string, string>) =>
        postSoap(`${cBase}${path}`, body, headers),
    } as unknown as Harness;
    const clientId = randomUUID();
    const client = new WuspClient(harness, clientId, 'pc-at-c.lab.invalid');
    await client.handshake();
    await client.register();
    assert.equal(
      await client.report(
        reportingEvent({
          clientId,
          instanceId: randomUUID(),
          eventId: 156,
          miscData: [`U=${u1.toUpperCase()}`],
        }),
      ),
      true,
    );
    const atC = await createRepositories(c).updateStatus.listForComputer(clientId);
    assert.deepEqual(
      atC.map((s) => [s.updateId, s.state]),
      [[u1, 2]],
      'C stored the client state (not installed)',
    );

    const before = Date.now();
    const r1 = await runRollup({ db: c, transport }, { upstreamUrl: b.serverSyncUrl });
    assert.deepEqual(
      { computers: r1.computers, statuses: r1.statuses, busy: r1.busy, skipped: r1.skipped },
      { computers: 1, statuses: 1, busy: false, skipped: undefined },
    );

    // At B: the public views (WSUS names), with the client under C.
    const v = publicViewsDb(b.db);
    const target = await v
      .selectFrom('vcomputertarget')
      .select(['parentserverid as parent', 'name as name'])
      .where('computertargetid', '=', clientId)
      .executeTakeFirst();
    assert.deepEqual(target, { parent: cId, name: 'pc-at-c.lab.invalid' });
    const states = await v
      .selectFrom('vupdateinstallationinfobasic')
      .select(['updateid as u', 'state as s'])
      .where('computertargetid', '=', clientId)
      .orderBy('updateid')
      .execute();
    const expected = new Map(atC.map((s) => [s.updateId, s.state]));
    assert.deepEqual(
      new Map(states.map((s) => [s.u, Number(s.s)])),
      expected,
      'the states arrived as C holds them',
    );
    const dss = await v
      .selectFrom('vdownstreamserver')
      .select([
        'downstreamserverid as id',
        'domainname as name',
        'computertargetcount as computers',
        'lastrolluptime as at',
      ])
      .execute();
    assert.equal(dss.length, 1);
    assert.equal(dss[0]!.id, cId);
    assert.equal(dss[0]!.name, 'c.lab.invalid');
    assert.equal(Number(dss[0]!.computers), 1, "C's own summary: one computer");
    assert.ok(dss[0]!.at !== null);

    // The computer report, `downstreams show` (service the CLI and REST call) and the REST API.
    const report = await createReportsService(createRepositories(b.db)).computerStatus();
    const row = report.rows.find((r) => r['computerId'] === clientId);
    assert.equal(row?.['server'], cId);
    const services = createAdminServices(b.db);
    const shown = await services.downstreams.show(cId);
    assert.equal(shown.computers, 1);
    assert.ok(shown.lastRollupAt !== null && shown.lastRollupAt >= before);
    assert.deepEqual(
      shown.servers.map((s) => s.serverId),
      [cId],
    );
    const app = await buildAdminServer({
      config: await loadConfigOrThrow({ env: {} }),
      logger: silentLogger,
      readiness: [],
      adminServices: services,
      version: '0.0.0-test',
    });
    t.after(() => app.close());
    const token = (await services.tokens.create({ name: 'r', role: 'reporter' }, { via: 'cli', name: 't' }))
      .token;
    const rest = await app.inject({
      method: 'GET',
      url: '/api/v1/downstreams',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(rest.statusCode, 200);
    const item = rest.json<any>().items[0];
    assert.equal(item.computers, 1);
    assert.equal(item.lastRollupAt, shown.lastRollupAt);

    // Incremental: nothing changed, nothing sent; a new report sends that computer's states only.
    const r2 = await runRollup({ db: c, transport }, { upstreamUrl: b.serverSyncUrl });
    assert.deepEqual([r2.computers, r2.statuses, r2.outOfSync], [0, 0, 0]);
    await client.report(
      reportingEvent({
        clientId,
        instanceId: randomUUID(),
        eventId: 156,
        miscData: [`V=${u1.toUpperCase()}`],
      }),
    );
    const r3 = await runRollup({ db: c, transport }, { upstreamUrl: b.serverSyncUrl });
    assert.equal(r3.statuses, 1);
    const after = await v
      .selectFrom('vupdateinstallationinfobasic')
      .select(['state as s'])
      .where('computertargetid', '=', clientId)
      .execute();
    assert.deepEqual(
      after.map((s) => Number(s.s)),
      [4],
      'installed at B too',
    );

    // Hostile input at B's reporting endpoint: faults, never a crash, never growth past the cap.
    const post = async (op: string, inner: string) => {
      const r = await b.post(reportingPath, wrapServerSyncRequest(inner), `${ns}/${op}`);
      return { status: r.status, fault: r.status === 200 ? undefined : decodeSoapFault(r.body) };
    };
    const stranger = randomUUID();
    const unknownParent = await post(
      'RollupComputers',
      encodeRollupComputersRequest({ clientTime: new Date(), computers: [computer(randomUUID(), stranger)] }),
    );
    assert.equal(unknownParent.status, 500);
    assert.equal(unknownParent.fault?.errorCode, 'InternalServerError');
    const forgedStatus = await post(
      'RollupComputerStatus',
      encodeRollupComputerStatusRequest({ clientTime: new Date(), parentServerId: stranger, computers: [] }),
    );
    assert.equal(forgedStatus.fault?.errorCode, 'InternalServerError');
    const unknownOutOfSync = await post(
      'GetOutOfSyncComputers',
      encodeGetOutOfSyncComputersRequest({
        parentServerId: stranger,
        lastRollupNumbers: [{ computerId: clientId, rollupNumber: 1 }],
      }),
    );
    assert.equal(unknownOutOfSync.status, 200, 'SPEC: an unknown parent gets an empty list');
    const tooMany = await post(
      'RollupComputers',
      encodeRollupComputersRequest({
        clientTime: new Date(),
        computers: Array.from({ length: 1501 }, () => computer(randomUUID(), cId)),
      }),
    );
    assert.equal(tooMany.fault?.errorCode, 'InvalidParameters');
    const garbage = await post(
      'RollupComputers',
      '<RollupComputers xmlns="http://www.microsoft.com/SoftwareDistribution"><clientTime>yesterday</clientTime></RollupComputers>',
    );
    assert.equal(garbage.fault?.errorCode, 'InvalidParameters');
    // C (same address) invents computers: the cap (2 here) holds; the real client stays.
    const invented = await post(
      'RollupComputers',
      encodeRollupComputersRequest({
        clientTime: new Date(),
        computers: Array.from({ length: 20 }, () => computer(randomUUID(), cId)),
      }),
    );
    assert.equal(invented.status, 200);
    const rolled = await b.db.db.selectFrom('rollup_computers').select('computer_id').execute();
    assert.equal(rolled.length, 2, 'never more than rollup_max_computers_per_downstream');
    assert.ok(rolled.some((r) => r.computer_id === clientId));
    // States for updates B does not know are not stored: a computer cannot grow past the catalog.
    const fakeUpdates = Array.from({ length: 50 }, () => ({
      updateId: randomUUID(),
      state: 2,
      lastChangeTime: new Date(),
    }));
    const statusOk = await post(
      'RollupComputerStatus',
      encodeRollupComputerStatusRequest({
        clientTime: new Date(),
        parentServerId: cId,
        computers: [
          {
            instanceId: randomUUID(),
            computerId: clientId,
            effectiveLastDetectionTime: new Date(),
            rollupNumber: 99,
            isFullRollup: false,
            updateStatus: fakeUpdates,
          },
        ],
      }),
    );
    assert.equal(statusOk.status, 200);
    assert.equal((await createRepositories(b.db).updateStatus.listForComputer(clientId)).length, 1);

    // Removing C at B removes what it rolled up.
    await services.downstreams.remove(cId, { via: 'cli', name: 't' });
    assert.equal(
      (
        await b.db.db
          .selectFrom('computers')
          .select('computer_id')
          .where('computer_id', '=', clientId)
          .execute()
      ).length,
      0,
    );
  });
}
