/**
 * The files step compares the content store and the database both ways, on both databases (the SYNTHETIC
 * scenario of cleanup-scenario.ts): an object no `files` row knows (copied by hand, left by a crash) is listed
 * by the dry run with its size and deleted by the run once older than the grace period; a younger one and the
 * store's staging area (`.partial/`, an in-flight download) are left alone; a `verified` row whose object is
 * missing is reported, never silently forgotten.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupGraceMs, createCleanupService, type CleanupReport } from '../../../src/maintenance/index.js';
import { FsContentStore } from '../../../src/storage/index.js';
import { payload } from '../../helpers/seed-catalog.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres } from '../../helpers/admin-db.js';
import { scenarioSettings, seedScenario, sha1Of } from './cleanup-scenario.js';

after(stopAdminPostgres);

const actor = { via: 'cli' as const, name: 'test' };
const fileItems = (r: CleanupReport) => r.steps.find((s) => s.step === 'files')!.items;

for (const driver of adminDrivers())
  void describe(`cleanup orphan files (${driver})`, () => {
    void test('orphans listed with their size and removed after the grace period; missing rows reported', async (t) => {
      const db = await openTestDatabase(t, driver);
      const contentDir = join(db.dir, 'content');
      const store = await FsContentStore.open(contentDir);
      const s = await seedScenario(db.handle, store);
      const cleanup = createCleanupService(db.handle, store, scenarioSettings);

      // An object no row knows, as a hand copy or a crash leaves it, and an in-flight download's partial.
      const orphan = payload(3000);
      const orphanSha1 = createHash('sha1').update(orphan).digest('hex');
      await store.ingest([orphan], { sha1: Buffer.from(orphanSha1, 'hex'), size: orphan.length });
      const partial = join(
        contentDir,
        '.partial',
        createHash('sha1').update('in flight').digest('hex').toUpperCase(),
      );
      await writeFile(partial, 'half a download');
      // A verified file (f4, approved) whose object disappeared.
      const f4 = sha1Of(s.files.get('f4')!);
      await store.delete(f4);

      // Within the grace period the orphan may be a download whose row is being written: not listed.
      const young = await cleanup.run({ dryRun: true, only: ['files'] }, actor);
      assert.ok(!fileItems(young).some((i) => i.id === orphanSha1), 'a young object is left alone');
      const missing = fileItems(young).filter((i) => i.kind === 'missing');
      assert.deepEqual(
        missing.map((i) => i.id),
        [f4],
        'the verified row without its object is reported',
      );
      assert.match(missing[0]!.detail, /patchbay content verify/);

      // Past the grace period: the dry run lists it with its size, the run deletes exactly that.
      const later = Date.now() + cleanupGraceMs + 60_000;
      const dry = await cleanup.run({ dryRun: true, only: ['files'], now: later }, actor);
      const listed = fileItems(dry).find((i) => i.id === orphanSha1);
      assert.ok(listed, 'the dry run lists the orphan');
      assert.equal(listed.bytes, 3000);
      assert.match(listed.detail, /unknown to the database/);
      assert.ok(await store.has(orphanSha1), 'the dry run changed nothing');

      const run = await cleanup.run({ only: ['files'], now: later }, actor);
      assert.deepEqual(fileItems(run), fileItems(dry), 'the run does what the dry run said');
      assert.equal(await store.has(orphanSha1), false, 'the orphan is gone');
      assert.ok(existsSync(partial), 'the staging area is never touched');
      assert.ok(await store.has(sha1Of(s.files.get('f7')!)), 'an approved file stays');
      assert.ok(
        fileItems(run).some((i) => i.kind === 'missing' && i.id === f4),
        'still reported: the cleanup does not forget it',
      );
    });
  });
