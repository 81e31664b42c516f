/**
 * The catalog-mode scenario, run on both databases (catalog-sync-*.test.ts): the real documents plus the
 * SYNTHETIC closure documents (see test/helpers/fake-upstream/real-catalog.ts), first a healthy sync, then a
 * poisoned upstream with every injected fault, then an unchanged rerun.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { UpdateId } from '../../../src/domain/ids.js';
import { createRepositories } from '../../../src/storage/index.js';
import { catalogStatus, listQuarantine, runSync, type SyncOptions } from '../../../src/sync/index.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog, ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { activeMembers, checkIntegrity, openTestDb, testTransport, type DbKind } from './harness.js';

export function catalogScenario(kind: DbKind): void {
  void test(`[${kind}] healthy catalog: real + synthetic closure documents activate; an unchanged rerun fetches nothing`, async (t: TestContext) => {
    const db = await openTestDb(t, kind);
    const catalog = buildRealCatalog();
    const up = await startCatalogUpstream({ entries: catalog.entries, maxUpdatesPerRequest: 25 });
    t.after(() => up.close());
    const transport = testTransport(t);
    const progress: string[] = [];
    const opts: SyncOptions = {
      upstreamUrl: up.serverSyncUrl,
      nodeId: 'test',
      onProgress: (p) => progress.push(p.phase),
    };
    const r1 = await runSync({ db, transport }, opts);
    assert.equal(r1.outcome, 'succeeded', JSON.stringify(await listQuarantine(db)));
    assert.ok(r1.generationChanged);
    const members = await activeMembers(db);
    // 7366a74a names only its product (no classification): product AND classification never selects it (REAL).
    const expected = [...catalog.real, ...catalog.synthetic].filter(
      (i) => i.updateId !== ids.productOnlyLeaf,
    );
    for (const i of expected)
      assert.ok(members.has(`${i.updateId}/${i.revisionNumber}`), `${i.updateId} active`);
    assert.equal(members.size, expected.length);
    assert.ok(
      up.updateDataCalls.every((c) => c.length <= 25),
      'batches within the upstream limit',
    );
    assert.ok(progress.includes('categories') && progress.includes('closure') && progress.at(-1) === 'done');
    // Categories are stored for the admin; the Windows family resolved to its products.
    const repos = createRepositories(db);
    const revList = up.requests.filter((r) => r.op === 'GetRevisionIdList').map((r) => r.body);
    assert.match(
      revList[1]!,
      /<Categories><IdAndDelta><Id>8c3fcc84-7410-4a95-8b89-a166a0190486<\/Id><Delta>false<\/Delta>/,
    );
    assert.match(revList[1]!, /<Classifications>.*e0789628-ce08-4437-be74-2495b842f43b.*<\/Classifications>/);
    assert.doesNotMatch(revList[1]!, /<Anchor>/);
    const run = await repos.syncRuns.get(r1.syncRunId);
    assert.equal(run?.outcome, 'succeeded');
    assert.equal(run?.counters.revisionsImported, expected.length);
    await checkIntegrity(db);

    const before = up.count('GetUpdateData');
    const r2 = await runSync({ db, transport }, opts);
    assert.equal(up.count('GetUpdateData'), before, 'an unchanged re-sync makes zero GetUpdateData calls');
    assert.equal(r2.generationChanged, false);
    assert.equal(r2.generationId, r1.generationId);
    const list2 = up.requests.filter((r) => r.op === 'GetRevisionIdList').slice(-1)[0]!.body;
    assert.match(list2, /<Anchor>[^<]+<\/Anchor>/);
    assert.doesNotMatch(list2, /<Delta>false<\/Delta>/, 'Delta is true exactly when an anchor is sent');
    assert.equal((await catalogStatus(db)).stale, false);
  });
}

export { ids, syntheticDocument };
export type { UpdateId };
