/**
 * Issue 10 item 6, import side: a file URL in an upstream document that is not http(s) (`file:`, a UNC path,
 * `ftp:`) quarantines that revision with `file_url_refused`; the sync still activates the rest. On SQLite and
 * PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { createRepositories } from '../../../src/storage/index.js';
import { listQuarantine, runSync } from '../../../src/sync/index.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog, ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { activeMembers, openTestDb, pgSkip, stopPostgres, testTransport, type DbKind } from './harness.js';

after(stopPostgres);

const hostileUrls = [
  'file:///etc/passwd',
  '\\\\fileserver\\share\\kb.cab',
  'ftp://download.windowsupdate.com/kb.cab',
  'http://download.windowsupdate.com\\..\\kb.cab',
];

async function scenario(t: TestContext, kind: DbKind): Promise<void> {
  const db = await openTestDb(t, kind);
  const up = await startCatalogUpstream({ entries: buildRealCatalog().entries });
  t.after(() => up.close());
  const sel = { prerequisites: [[ids.definitionUpdates], [ids.defender]] };
  const g = (n: number) => `0badf11e-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const file = (n: number) => ({ name: `f${n}.cab`, sha1: Buffer.alloc(20, n), size: 10 });
  for (const [n, url] of hostileUrls.entries())
    up.put({
      identity: { updateId: g(n), revisionNumber: 100 },
      text: syntheticDocument(g(n), 100, { ...sel, files: [file(n + 1)] }),
      listed: true,
      muUrls: [url],
    });
  const healthy = g(50);
  up.put({
    identity: { updateId: healthy, revisionNumber: 100 },
    text: syntheticDocument(healthy, 100, { ...sel, files: [file(50)] }),
    listed: true,
  });

  const r = await runSync(
    { db, transport: testTransport(t) },
    { upstreamUrl: up.serverSyncUrl, nodeId: 'test' },
  );
  assert.equal(r.outcome, 'partial', 'quarantine, not a failed sync');
  const q = new Map((await listQuarantine(db)).map((e) => [e.updateId, e]));
  for (const [n, url] of hostileUrls.entries()) {
    const e = q.get(g(n));
    assert.equal(e?.reasonCode, 'file_url_refused', url);
    assert.match(e?.detail ?? '', /is not an http\(s\) URL/, url);
  }
  const members = await activeMembers(db);
  assert.ok(members.has(`${healthy}/100`), 'the healthy revision activates');
  for (const n of hostileUrls.keys()) assert.ok(!members.has(`${g(n)}/100`));
  // Nothing of the refused URLs reached the files table.
  const urls = await db.db.selectFrom('files').select('mu_url').execute();
  for (const u of urls)
    assert.match(u.mu_url ?? 'http://', /^http:\/\/download\.windowsupdate\.com\/[^\\]*$/);
  assert.equal((await createRepositories(db).syncRuns.get(r.syncRunId))?.outcome, 'partial');
}

void test('[sqlite] non-http(s) file URLs quarantine their revision (file_url_refused)', (t) =>
  scenario(t, 'sqlite'));
void test(
  '[postgres] non-http(s) file URLs quarantine their revision (file_url_refused)',
  { skip: pgSkip },
  (t) => scenario(t, 'postgres'),
);
