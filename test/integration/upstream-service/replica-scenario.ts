/**
 * Replica mode across two tiers, run on both databases (replica-*.test.ts): Patchbay B (upstream role, its
 * own groups, approvals with a deadline, a decline) -> Patchbay C (`[upstream] mode = replica`) syncing from
 * B over loopback HTTP. C mirrors B's groups, approvals, deadlines and declines; a simulated Windows client
 * in the same group gets the same deployments at C as at B; a change at B reaches C at its next sync; an
 * unchanged re-sync applies nothing; local approval and group changes at C are refused (CLI exit 77, REST
 * 403) naming B, while computer membership stays local.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { createAdminServices, type AdminServices } from '../../../src/admin/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { buildAdminServer } from '../../../src/http/index.js';
import { createRepositories, type DbHandle } from '../../../src/storage/index.js';
import { listQuarantine, runSync } from '../../../src/sync/index.js';
import { ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { openTestDatabase } from '../../helpers/admin-db.js';
import { adminCli, silentLogger as adminLogger } from '../admin/harness.js';
import { postSoap, type Harness } from '../client-service/harness.js';
import { coreFacts, simulatedScan } from '../client-service/wua-facts.js';
import { WuspClient } from '../client-service/wusp-client.js';
import { testTransport, type DbKind } from '../sync/harness.js';
import { serveUpstream, startUpstreamPatchbay } from './harness.js';

const actor = { via: 'cli' as const, name: 'admin-b' };
const leafA = '0badf00d-0000-4000-8000-00000000a001';
const leafB = '0badf00d-0000-4000-8000-00000000a002';
const leafC = '0badf00d-0000-4000-8000-00000000a003';

/** Approvals as (update, group, action, deadline) lines, sorted. */
async function approvalLines(db: DbHandle): Promise<string[]> {
  const repos = createRepositories(db);
  const groups = (await repos.groups.list()).map((g) => g.groupId);
  return (await repos.approvals.listForGroups(groups))
    .map((a) => `${a.updateId} ${a.groupId} ${a.action} ${a.deadlineAt ?? '-'}`)
    .sort();
}

async function groupLines(db: DbHandle): Promise<string[]> {
  return (await createRepositories(db).groups.list())
    .map((g) => `${g.groupId} ${g.name} ${g.parentGroupId ?? '-'}`)
    .sort();
}

async function declineLines(db: DbHandle): Promise<string[]> {
  return (await createRepositories(db).approvals.listDeclined()).map((d) => d.updateId).sort();
}

/** A simulated WUA in `group` at the client server `baseUrl`: its approved deployments, update id -> action. */
async function scanLeaves(
  baseUrl: string,
  services: AdminServices,
  clientId: string,
  group: string,
): Promise<Map<string, string>> {
  const h = {
    baseUrl,
    post: (p: string, b: string, hd?: Record<string, string>) => postSoap(baseUrl + p, b, hd),
  };
  const wua = new WuspClient(h as unknown as Harness, clientId);
  await wua.handshake();
  await wua.register();
  await services.groups.addComputer(group, clientId, actor);
  await wua.handshake(); // the new cookie carries the group
  const { report, xmlById } = await simulatedScan(wua);
  const out = new Map<string, string>();
  for (const d of report.delivered)
    if (d.deployment.action === 'Install' || d.deployment.action === 'Uninstall')
      out.set(coreFacts(xmlById.get(d.revisionId)!).updateId, d.deployment.action);
  return out;
}

export function replicaScenario(kind: DbKind): void {
  void test(`[${kind}] Patchbay B -> Patchbay C (replica): C mirrors B's groups, approvals with deadlines and declines, clients at C get B's approvals, local changes at C are refused naming B`, async (t: TestContext) => {
    const b = await startUpstreamPatchbay(t, kind);
    // Three leaf updates without files at the top (the real catalog's leaves install through bundles with files).
    const sel = { prerequisites: [[ids.definitionUpdates], [ids.defender]] };
    for (const u of [leafA, leafB, leafC])
      b.top.put({
        identity: { updateId: u, revisionNumber: 100 },
        text: syntheticDocument(u, 100, sel).replace(
          ' PublicationState=',
          ' ExplicitlyDeployable="true" PublicationState=',
        ),
        listed: true,
      });
    await b.syncFromTop();
    const atB = createAdminServices(b.db);
    const ring = await atB.groups.create({ name: 'Ring 1' }, actor);
    const deadline = Date.UTC(2099, 0, 15, 18, 0, 0);
    await atB.approvals.approve(
      {
        selection: { updateIds: [leafA] },
        groups: ['Ring 1'],
        action: 'install',
        deadlineAt: deadline,
      },
      actor,
    );
    await atB.approvals.approve(
      { selection: { updateIds: [leafC] }, groups: ['All Computers'], action: 'install' },
      actor,
    );
    await atB.approvals.decline({ selection: { updateIds: [leafB] } }, actor);

    const cDb = await openTestDatabase(t, kind);
    const c = cDb.handle;
    // C had a local group and approval of its own before it became a replica: the mirror replaces them.
    const atCBefore = createAdminServices(c);
    await atCBefore.groups.create({ name: 'Local only' }, actor);
    const transport = testTransport(t);
    const syncC = () =>
      runSync({ db: c, transport }, { upstreamUrl: b.serverSyncUrl, nodeId: 'c', replica: true });

    const r1 = await syncC();
    assert.equal(r1.outcome, 'succeeded', JSON.stringify(await listQuarantine(c)));
    assert.ok((r1.calls['GetDeployments'] ?? 0) === 1, 'one GetDeployments per sync');
    assert.deepEqual(
      await groupLines(c),
      await groupLines(b.db),
      'the group tree is B’s (ids, names, parents)',
    );
    assert.ok(!(await groupLines(c)).some((l) => l.includes('Local only')), 'local-only groups are gone');
    const linesB = await approvalLines(b.db);
    assert.equal(linesB.length, 2);
    assert.deepEqual(await approvalLines(c), linesB, 'approvals and deadlines are B’s');
    assert.ok(linesB.some((l) => l === `${leafA} ${ring.groupId} install ${deadline}`));
    assert.deepEqual(await declineLines(c), [leafB], 'the decline arrived as a hidden update');
    assert.ok(r1.replica !== undefined && r1.replica.approvalsSet === 2 && r1.replica.declined === 1);

    // An unchanged re-sync fetches no update and applies nothing.
    const r2 = await syncC();
    assert.equal(r2.calls['GetUpdateData'] ?? 0, 0);
    assert.equal(r2.calls['GetDeployments'], 1);
    const { deployments: _d, ...changes } = r2.replica!;
    assert.ok(
      Object.values(changes).every((n) => n === 0),
      `nothing applied on an unchanged re-sync: ${JSON.stringify(r2.replica)}`,
    );

    // A Windows-like client in Ring 1 gets the same deployments at C as at B.
    const { baseUrl: cUrl } = await serveUpstream(t, c);
    const clientId = randomUUID();
    const atC = createAdminServices(c, { replicaOf: b.serverSyncUrl });
    const leavesB = await scanLeaves(b.baseUrl, atB, clientId, 'Ring 1');
    const leavesC = await scanLeaves(cUrl, atC, clientId, 'Ring 1');
    assert.deepEqual(
      [...leavesB].sort(),
      [
        [leafC, 'Install'],
        [leafA, 'Install'],
      ].sort(),
    );
    assert.deepEqual([...leavesC].sort(), [...leavesB].sort(), 'a client at C gets exactly B’s approvals');

    // A change at B (one approval removed, one added, the decline lifted) reaches C at its next sync.
    await atB.approvals.unapprove({ selection: { updateIds: [leafC] }, groups: ['All Computers'] }, actor);
    await atB.approvals.undecline({ selection: { updateIds: [leafB] } }, actor);
    await atB.approvals.approve(
      { selection: { updateIds: [leafB] }, groups: ['Ring 1'], action: 'install' },
      actor,
    );
    const r3 = await syncC();
    assert.deepEqual(await approvalLines(c), await approvalLines(b.db));
    assert.deepEqual(await declineLines(c), []);
    assert.equal(r3.replica?.approvalsSet, 1);
    assert.equal(r3.replica?.approvalsCleared, 1, 'the removed approval came as a DeadDeployment');
    assert.equal(r3.replica?.undeclined, 1);
    const leavesC3 = await scanLeaves(cUrl, atC, clientId, 'Ring 1');
    assert.deepEqual(
      [...leavesC3].sort(),
      [
        [leafB, 'Install'],
        [leafA, 'Install'],
      ].sort(),
    );

    // Local changes at C are refused, naming B: the CLI exits 77, the REST API answers 403 problem+json.
    const bOrigin = new URL(b.serverSyncUrl).origin;
    const replicaEnv = { PATCHBAY_UPSTREAM_MODE: 'replica', PATCHBAY_UPSTREAM_URL: b.serverSyncUrl };
    const cli = (...args: string[]) => adminCli({ ...cDb, env: { ...cDb.env, ...replicaEnv } }, ...args);
    for (const args of [
      ['approve', leafA, '--group', 'All Computers'],
      ['decline', leafA],
      ['groups', 'create', 'Ring 2'],
      ['decline', '--superseded'],
    ]) {
      const r = await cli(...args);
      assert.equal(r.code, 77, `patchbay ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /replica of/);
      assert.ok(r.stderr.includes(bOrigin), `the message names the upstream: ${r.stderr}`);
    }
    const before = await approvalLines(c);
    const config = await loadConfigOrThrow({ env: replicaEnv });
    const app = await buildAdminServer({
      config,
      logger: adminLogger,
      readiness: [],
      adminServices: atC,
      version: '0.0.0-test',
    });
    t.after(() => app.close());
    const token = (await atC.tokens.create({ name: 'admin', role: 'admin' }, actor)).token;
    const rest = await app.inject({
      method: 'POST',
      url: '/api/v1/approvals',
      headers: { authorization: `Bearer ${token}` },
      payload: { updateIds: [leafA], groups: ['All Computers'], action: 'install' },
    });
    assert.equal(rest.statusCode, 403, rest.body);
    assert.match(String(rest.headers['content-type']), /application\/problem\+json/);
    const problem = rest.json<{ code: string; detail: string }>();
    assert.equal(problem.code, 'PB_ERR_REPLICA_READ_ONLY');
    assert.ok(problem.detail.includes(bOrigin));
    const group = await app.inject({
      method: 'POST',
      url: '/api/v1/groups',
      headers: { authorization: `Bearer ${token}` },
      payload: { name: 'Ring 2' },
    });
    assert.equal(group.statusCode, 403, group.body);
    assert.deepEqual(await approvalLines(c), before, 'nothing changed');
    // Membership is local on a replica (WSUS replicas assign computers too): the scans above moved the client.
    assert.deepEqual(
      (await createRepositories(c).groups.groupsOf(clientId)).map((g) => g.groupId),
      [ring.groupId],
    );
  });
}
