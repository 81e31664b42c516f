import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { attachPublicViewsSchema, migrateToLatest, openDatabase } from '../../../src/storage/index.js';
import { runPublicViewsContract } from './public-views-contract.js';
import { ids, seedFleet } from './seed.js';

// SQLite: the views live in main; `PUBLIC_VIEWS.` resolves once the file is attached to itself.
const open = async (t: import('node:test').TestContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-views-'));
  const handle = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
  t.after(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateToLatest(handle);
  return handle;
};

runPublicViewsContract('SQLite', open, (h) => attachPublicViewsSchema(h));

void test('SQLite: unprefixed view names, any letter case, and an idempotent attach', async (t) => {
  const h = await open(t);
  await seedFleet(h);
  const r = await sql<{
    UpdateId: string;
  }>`select updateid from VUPDATE where knowledgebasearticle = '2267602'`.execute(h.db);
  assert.deepEqual(r.rows, [{ UpdateId: ids.kb2267602 }], 'SQLite reports the declared column name');
  await assert.rejects(sql`select * from PUBLIC_VIEWS.vUpdate`.execute(h.db), /no such table/);
  await attachPublicViewsSchema(h);
  await attachPublicViewsSchema(h);
  const n = await sql<{ n: number }>`select count(*) as n from PUBLIC_VIEWS.vUpdate`.execute(h.db);
  assert.equal(n.rows[0]?.n, 4);
});

void test('SQLite: PUBLIC_VIEWS cannot be attached to an in-memory database', async (t) => {
  const handle = openDatabase({ driver: 'sqlite', path: ':memory:' });
  t.after(() => handle.close());
  await migrateToLatest(handle);
  await assert.rejects(attachPublicViewsSchema(handle), /in-memory/);
});
