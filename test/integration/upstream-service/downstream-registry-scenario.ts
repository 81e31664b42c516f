/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- CLI --json and REST answers are untyped; the assertions check their shape. */
/**
 * Operating the upstream role (issue 12 item 5), run on both databases (downstream-registry-*.test.ts): the
 * registry a real downstream sync fills (one row per server, last sync), `patchbay downstreams` and
 * /api/v1/downstreams over it, the max_downstreams cap, and the allowed_downstreams / allowed_addresses
 * restrictions with their faults.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test, type TestContext } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { buildAdminServer } from '../../../src/http/index.js';
import {
  dssAuthNs,
  encodeGetAuthorizationCookieRequest,
  wrapServerSyncRequest,
} from '../../../src/protocol/server-sync/index.js';
import { decodeSoapFault } from '../../../src/protocol/soap/index.js';
import { createRepositories } from '../../../src/storage/index.js';
import { runSync } from '../../../src/sync/index.js';
import { silentLogger } from '../client-service/harness.js';
import { adminCli } from '../admin/harness.js';
import { openTestDb, testTransport, type DbKind } from '../sync/harness.js';
import { startUpstreamPatchbay, type UpstreamPatchbay } from './harness.js';

const dss = (n: number) => `6f1c2f6e-3f0b-4d3a-9b1e-${String(n).padStart(12, '0')}`;

async function authorize(a: UpstreamPatchbay, accountGuid: string) {
  const r = await a.post(
    '/DssAuthWebService/DssAuthWebService.asmx',
    wrapServerSyncRequest(
      encodeGetAuthorizationCookieRequest({ accountName: 'dss.lab.invalid', accountGuid }),
    ),
    `${dssAuthNs}/GetAuthorizationCookie`,
  );
  return { status: r.status, fault: r.status === 500 ? decodeSoapFault(r.body) : undefined };
}

/** `patchbay ...` in-process on A's database (the admin CLI harness). */
function cli(a: UpstreamPatchbay, ...args: string[]) {
  return adminCli({ handle: a.db, env: a.databaseEnv, dir: tmpdir() }, ...args);
}

async function adminApi(t: TestContext, a: UpstreamPatchbay) {
  const services = createAdminServices(a.db);
  const app = await buildAdminServer({
    config: await loadConfigOrThrow({ env: {} }),
    logger: silentLogger,
    readiness: [],
    adminServices: services,
    version: '0.0.0-test',
  });
  t.after(() => app.close());
  const actor = { via: 'cli' as const, name: 'test' };
  const admin = (await services.tokens.create({ name: 'admin', role: 'admin' }, actor)).token;
  const reporter = (await services.tokens.create({ name: 'reporter', role: 'reporter' }, actor)).token;
  return (method: 'GET' | 'DELETE', url: string, token = admin) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${token}` } }).then((r) => ({
      status: r.statusCode,
      body: r.json<any>(),
      reporter,
    }));
}

export function downstreamRegistryScenario(kind: DbKind): void {
  void test(`[${kind}] a real downstream sync is registered once (id, name, address, protocol, last sync); downstreams list/show/remove on the CLI and the REST API`, async (t) => {
    const a = await startUpstreamPatchbay(t, kind);
    const b = await openTestDb(t, kind);
    const transport = testTransport(t);
    const bId = await createRepositories(b).settings.getOrCreateInstanceId();
    const syncB = () =>
      runSync(
        { db: b, transport },
        { upstreamUrl: a.serverSyncUrl, nodeId: 'b', accountName: 'b.lab.invalid' },
      );
    const before = Date.now();
    assert.equal((await syncB()).outcome, 'succeeded');
    assert.equal((await syncB()).outcome, 'succeeded');

    const rows = await createRepositories(a.db).downstreamServers.list();
    assert.equal(rows.length, 1, 'two syncs of one downstream: one row (B sends its instance id)');
    const row = rows[0]!;
    assert.equal(row.serverId, bId);
    assert.equal(row.name, 'b.lab.invalid');
    assert.equal(row.address, '127.0.0.1');
    assert.match(row.protocolVersion ?? '', /^1\.\d+$/);
    assert.ok(row.firstSeenAt >= before && row.lastSyncAt !== null && row.lastSyncAt >= row.firstSeenAt);
    assert.ok(row.syncCalls >= 4, `GetRevisionIdList x2 per sync (${row.syncCalls})`);
    assert.equal(row.computers, 0);
    assert.equal(row.lastRollupAt, null, 'no roll-up yet');

    // CLI
    const list = await cli(a, 'downstreams', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout).items.map((d: any) => [d.serverId, d.name, d.computers, d.lastRollupAt]),
      [[bId, 'b.lab.invalid', 0, null]],
    );
    const human = await cli(a, 'downstreams', 'list');
    assert.match(human.stdout, /b\.lab\.invalid/);
    assert.match(human.stdout, /LAST ROLLUP/);
    const shown = await cli(a, 'downstreams', 'show', 'B.LAB.INVALID', '--json');
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).serverId, bId);
    const typo = await cli(a, 'downstreams', 'show', 'b.lab.invalud');
    assert.equal(typo.code, 65);
    assert.match(
      typo.stderr,
      /PB_ERR_INVALID_PARAMETER: unknown downstream server "b\.lab\.invalud" \(did you mean "b\.lab\.invalid"\?\)/,
    );

    // REST, with the roles of the other routes: reading is catalog:read, removal fleet:write.
    const api = await adminApi(t, a);
    const got = await api('GET', '/api/v1/downstreams');
    assert.equal(got.status, 200);
    assert.deepEqual(
      got.body.items.map((d: any) => d.serverId),
      [bId],
    );
    assert.equal((await api('GET', `/api/v1/downstreams/${bId}`, got.reporter)).status, 200);
    assert.equal((await api('GET', '/api/v1/downstreams/nope')).status, 400);
    assert.equal((await api('DELETE', `/api/v1/downstreams/${bId}`, got.reporter)).status, 403);
    assert.equal((await createRepositories(a.db).downstreamServers.list()).length, 1);
    const removed = await api('DELETE', '/api/v1/downstreams/b.lab.invalid');
    assert.equal(removed.status, 200);
    assert.equal(removed.body.serverId, bId);
    assert.deepEqual(await createRepositories(a.db).downstreamServers.list(), []);

    // The next sync registers it again; the CLI removes it by id, and the removal is audited.
    assert.equal((await syncB()).outcome, 'succeeded');
    const again = await cli(a, 'downstreams', 'remove', bId);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Removed downstream server/);
    assert.deepEqual(await createRepositories(a.db).downstreamServers.list(), []);
    const audit = await createRepositories(a.db).auditLog.list({ limit: 5 });
    assert.equal(audit.filter((e: any) => e.action === 'downstream.remove').length, 2);
  });

  void test(`[${kind}] max_downstreams caps new ids (ServerBusy), known ids pass; allowed_downstreams and allowed_addresses refuse with InvalidParameters`, async (t) => {
    const capped = await startUpstreamPatchbay(t, kind, { maxDownstreams: 2 });
    assert.equal((await authorize(capped, dss(1))).status, 200);
    assert.equal((await authorize(capped, dss(2))).status, 200);
    for (let i = 3; i < 20; i++) {
      const r = await authorize(capped, dss(i));
      assert.equal(r.fault?.errorCode, 'ServerBusy', `id ${i}`);
    }
    assert.match((await authorize(capped, dss(3))).fault?.message ?? '', /registry of this upstream is full/);
    assert.equal((await authorize(capped, dss(1))).status, 200, 'a registered server always passes');
    assert.equal((await createRepositories(capped.db).downstreamServers.list()).length, 2);

    const byId = await startUpstreamPatchbay(t, kind, { allowedDownstreams: [dss(7).toUpperCase()] });
    assert.equal((await authorize(byId, dss(7))).status, 200);
    const other = await authorize(byId, dss(8));
    assert.equal(other.fault?.errorCode, 'InvalidParameters');
    assert.match(
      other.fault?.message ?? '',
      /not allowed to synchronize here \(its server id is not in allowed_downstreams\)/,
    );
    assert.deepEqual(
      (await createRepositories(byId.db).downstreamServers.list()).map((d) => d.serverId),
      [dss(7)],
      'a refused server is not registered',
    );
    // A real Patchbay downstream that is not allowed stops its sync at the fault.
    const b = await openTestDb(t, kind);
    await assert.rejects(
      runSync({ db: b, transport: testTransport(t) }, { upstreamUrl: byId.serverSyncUrl, nodeId: 'b' }),
    );

    const elsewhere = await startUpstreamPatchbay(t, kind, { allowedAddresses: ['10.0.0.0/8', 'fd00::/8'] });
    const refused = await authorize(elsewhere, dss(1));
    assert.equal(refused.fault?.errorCode, 'InvalidParameters');
    assert.match(refused.fault?.message ?? '', /its address 127\.0\.0\.1 is not in allowed_addresses/);
    const loopback = await startUpstreamPatchbay(t, kind, {
      allowedAddresses: ['10.0.0.0/8', '127.0.0.0/8'],
    });
    assert.equal((await authorize(loopback, dss(1))).status, 200);
  });
}
