/**
 * Two tiers end to end, run on both databases (two-tier-*.test.ts): the catalog-mode fake upstream ->
 * Patchbay A (upstream role) -> Patchbay B (the unchanged sync engine pointed at A's client port). B ends with
 * A's active catalog and byte-identical documents; an unchanged re-sync of B makes zero GetUpdateData calls;
 * a revision published at the top arrives with B's next sync; a poisoned revision quarantined at A never
 * reaches B.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createRepositories, decodeBlob, type DbHandle } from '../../../src/storage/index.js';
import { listQuarantine, runSync } from '../../../src/sync/index.js';
import { ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { activeMembers, checkIntegrity, openTestDb, testTransport, type DbKind } from '../sync/harness.js';
import { startUpstreamPatchbay } from './harness.js';

async function documentsOf(db: DbHandle, keys: Iterable<string>): Promise<Map<string, string>> {
  const repos = createRepositories(db);
  const out = new Map<string, string>();
  for (const k of keys) {
    const [updateId, rev] = k.split('/');
    const r = await repos.revisions.getByIdentity({ updateId: updateId!, revisionNumber: Number(rev) });
    const d = r && (await repos.revisions.getDocument(r.revisionId));
    if (d) out.set(k, decodeBlob(d).toString('utf8'));
  }
  return out;
}

export function twoTierScenario(kind: DbKind): void {
  void test(`[${kind}] fake upstream -> Patchbay A -> Patchbay B: B gets A's catalog byte for byte, an unchanged re-sync fetches nothing, news arrive, quarantined revisions never do`, async (t: TestContext) => {
    const a = await startUpstreamPatchbay(t, kind);
    const b = await openTestDb(t, kind);
    const transport = testTransport(t);
    const syncB = () => runSync({ db: b, transport }, { upstreamUrl: a.serverSyncUrl, nodeId: 'b' });

    const r1 = await syncB();
    assert.equal(r1.outcome, 'succeeded', JSON.stringify(await listQuarantine(b)));
    const atA = await activeMembers(a.db);
    const atB = await activeMembers(b);
    assert.deepEqual([...atB].sort(), [...atA].sort(), 'B serves exactly what A serves');
    assert.ok(atB.size >= 10, `a real-sized catalog (${atB.size})`);
    const docsA = await documentsOf(a.db, atA);
    const docsB = await documentsOf(b, atB);
    for (const [k, text] of docsA) assert.equal(docsB.get(k), text, `${k}: the document is the original`);
    assert.ok((r1.calls['GetUpdateData'] ?? 0) > 0);
    await checkIntegrity(b);

    // B's transport offers xpress and A answers it: the catalog above crossed the wire Xpress-encoded.
    const probe = await transport.postSoap({
      url: a.serverSyncUrl,
      soapAction: 'http://www.microsoft.com/SoftwareDistribution/GetAuthConfig',
      body: Buffer.from(
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetAuthConfig xmlns="http://www.microsoft.com/SoftwareDistribution"/></s:Body></s:Envelope>',
      ),
      maxResponseBytes: 1024 * 1024,
    });
    assert.equal(probe.headers['content-encoding'], 'xpress', probe.body.toString('utf8').slice(0, 500));
    assert.match(probe.body.toString('utf8'), /<GetAuthConfigResponse/);

    const r2 = await syncB();
    assert.equal(r2.outcome, 'succeeded');
    assert.equal(r2.calls['GetUpdateData'] ?? 0, 0, 'an unchanged re-sync makes zero GetUpdateData calls');
    assert.equal(r2.generationChanged, false);

    // News at the top: one healthy revision and one poisoned (malformed) one, both selected by B's filter.
    const sel = { prerequisites: [[ids.definitionUpdates], [ids.defender]] };
    const good = '0badf00d-0000-4000-8000-000000000001';
    const bad = '0badf00d-0000-4000-8000-000000000002';
    a.top.put({
      identity: { updateId: good, revisionNumber: 100 },
      text: syntheticDocument(good, 100, sel),
      listed: true,
    });
    a.top.put({
      identity: { updateId: bad, revisionNumber: 100 },
      text: syntheticDocument(bad, 100, sel).slice(0, -20),
      listed: true,
    });
    await a.syncFromTop();
    const quarantinedAtA = (await listQuarantine(a.db)).map((q) => `${q.updateId}/${q.revisionNumber}`);
    assert.deepEqual(quarantinedAtA, [`${bad}/100`], 'A quarantined the poisoned revision');

    const r3 = await syncB();
    assert.equal(r3.outcome, 'succeeded', JSON.stringify(await listQuarantine(b)));
    const atB3 = await activeMembers(b);
    assert.ok(atB3.has(`${good}/100`), 'the new revision arrived in the next sync');
    assert.ok(!atB3.has(`${bad}/100`), 'the quarantined revision never reaches B');
    assert.deepEqual(await listQuarantine(b), [], 'B never saw it, not even to quarantine it');
    assert.equal(r3.calls['GetUpdateData'], 1, 'only the news are fetched');
    assert.deepEqual([...atB3].sort(), [...(await activeMembers(a.db))].sort());

    // Even when asked for by identity, A refuses the quarantined revision as WSUS refuses an unknown id.
    const r4 = await syncB();
    assert.equal(r4.calls['GetUpdateData'] ?? 0, 0);
    await checkIntegrity(b);
  });
}
