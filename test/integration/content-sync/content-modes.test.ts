import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeContentUpstream, type FakeFile } from './fake-content-upstream.js';
import { openDownstream, stateOf } from './content-fixtures.js';
import { createRepositories, downloadContent, planContent, type DbHandle } from './imports.js';

const allComputers = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421';
const guid = (n: number) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;

/**
 * A small catalog: bundle A (approved) installs leaf C; update B is not approved; D is approved but
 * declined; E is approved but not in the active generation. Each has one file.
 */
async function seedCatalog(db: DbHandle, file: (name: string) => Promise<FakeFile>) {
  const f = {
    A: await file('a.cab'),
    B: await file('b.cab'),
    C: await file('c.cab'),
    D: await file('d.cab'),
    E: await file('e.cab'),
  };
  const rev = (n: number, name: keyof typeof f, extra: object = {}) => ({
    updateId: guid(n),
    revisionNumber: 200,
    updateType: 'Software',
    document: '<Update/>',
    coreFragment: '<c/>',
    extendedFragment: '<e/>',
    files: [{ sha1: f[name].sha1, sha256: f[name].sha256, size: f[name].size, name: f[name].name }],
    ...extra,
  });
  const repos = createRepositories(db);
  const ids = await repos.revisions.upsertMany([
    rev(1, 'A', { bundledUpdates: [[{ updateId: guid(3), revisionNumber: 200 }]] }),
    rev(2, 'B'),
    rev(3, 'C'),
    rev(4, 'D'),
    rev(5, 'E'),
  ]);
  const g = await repos.generations.createStaged({ note: 'test' });
  await repos.generations.addMembers(
    g.generationId,
    ids.slice(0, 4).map((revisionId, i) => ({ revisionId, isLeaf: i !== 0, isBundleMember: i === 2 })),
  );
  await repos.generations.activate(g.generationId);
  const approve = (n: number) => ({
    updateId: guid(n),
    groupId: allComputers,
    action: 'install' as const,
    approvedBy: 'test',
    approvedVia: 'cli',
  });
  await repos.approvals.set([approve(1), approve(4), approve(5)]);
  await repos.approvals.decline([guid(4)], { declinedBy: 'test', declinedVia: 'cli' });
  return f;
}

async function states(db: DbHandle, f: Record<string, FakeFile>) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) out[k] = (await stateOf(db, v)).content_state;
  return out;
}

void test('mode approved: files of approved, non-declined, served updates and their bundle members', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const f = await seedCatalog(down.db, (n) => up.addRandom(10_000, n));
  assert.deepEqual(await states(down.db, f), {
    A: 'absent',
    B: 'absent',
    C: 'absent',
    D: 'absent',
    E: 'absent',
  });
  const result = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'approved' },
  );
  assert.equal(result.filesQueuedByPlan, 2);
  assert.equal(result.filesDownloaded, 2);
  assert.deepEqual(await states(down.db, f), {
    A: 'verified',
    B: 'absent',
    C: 'verified',
    D: 'absent',
    E: 'absent',
  });
  assert.deepEqual(up.requests.map((r) => r.hex).sort(), [f.A.hex, f.C.hex].sort());
  // Approving B later queues just B.
  await createRepositories(down.db).approvals.set([
    { updateId: guid(2), groupId: allComputers, action: 'install', approvedBy: 't', approvedVia: 'cli' },
  ]);
  assert.deepEqual(await planContent(down.db, 'approved'), { wanted: 3, queued: 1 });
});

void test('mode all: every file of the active generation; mode none: nothing is fetched', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const f = await seedCatalog(down.db, (n) => up.addRandom(10_000, n));
  const none = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'none' },
  );
  assert.equal(none.filesTotal, 0);
  assert.equal(up.requests.length, 0);
  assert.deepEqual(await states(down.db, f), {
    A: 'absent',
    B: 'absent',
    C: 'absent',
    D: 'absent',
    E: 'absent',
  });

  const all = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all' },
  );
  assert.equal(all.filesDownloaded, 4);
  // E is not served by the active generation, so even `all` leaves it.
  assert.deepEqual(await states(down.db, f), {
    A: 'verified',
    B: 'verified',
    C: 'verified',
    D: 'verified',
    E: 'absent',
  });
});

void test('downloads run with exactly the configured concurrency', async (t) => {
  const up = await startFakeContentUpstream(t);
  const down = await openDownstream(t);
  const files: FakeFile[] = [];
  for (let i = 0; i < 8; i++) files.push(await up.addRandom(200_000, `p${i}.cab`));
  const { insertFiles } = await import('./content-fixtures.js');
  await insertFiles(down.db, files);
  up.faults.drip = { bytes: 32 * 1024, delayMs: 4 };
  const result = await downloadContent(
    { db: down.db, store: down.store, transport: down.transport },
    { upstreamUrl: up.serverSyncUrl, mode: 'all', concurrency: 3 },
  );
  assert.equal(result.filesDownloaded, 8);
  assert.equal(up.maxInFlight(), 3);
});
