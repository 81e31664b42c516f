import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { checkStaleSync, staleSyncJob } from '../../../src/jobs/index.js';
import { createRepositories, migrateToLatest, openDatabase } from '../../../src/storage/index.js';

const H = 3_600_000;

void test('stale-sync alarm: the last good metadata sync against the configured age; content runs do not count', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-stale-'));
  const db = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateToLatest(db);
  const runs = createRepositories(db).syncRuns;
  const t0 = Date.parse('2025-06-01T00:00:00Z');
  const limit = 48 * H;
  assert.deepEqual(await checkStaleSync(createRepositories(db), { staleAfterMs: limit, now: t0 }), {
    stale: true,
    lastGoodAt: undefined,
    ageMs: undefined,
    staleAfterMs: limit,
    pin: undefined,
  });
  const ok = await runs.start({ kind: 'metadata', triggerSource: 'schedule' }, t0);
  await runs.finish(ok.syncRunId, { outcome: 'succeeded' }, t0 + H);
  assert.equal(
    (await checkStaleSync(createRepositories(db), { staleAfterMs: limit, now: t0 + 49 * H })).stale,
    false,
  );
  assert.equal(
    (await checkStaleSync(createRepositories(db), { staleAfterMs: limit, now: t0 + 49 * H + 1 })).stale,
    true,
  );
  // Later failures and content downloads do not refresh it.
  const bad = await runs.start({ kind: 'metadata', triggerSource: 'schedule' }, t0 + 24 * H);
  await runs.finish(
    bad.syncRunId,
    { outcome: 'failed', error: { code: 'PB_ERR_UPSTREAM_UNAVAILABLE', message: 'down' } },
    t0 + 24 * H,
  );
  const content = await runs.start({ kind: 'content', triggerSource: 'schedule' }, t0 + 40 * H);
  await runs.finish(content.syncRunId, { outcome: 'succeeded' }, t0 + 40 * H);
  const r = await checkStaleSync(createRepositories(db), { staleAfterMs: limit, now: t0 + 50 * H });
  assert.equal(r.stale, true);
  assert.equal(r.lastGoodAt, t0 + H);
  assert.equal(r.ageMs, 49 * H);
  // A partial sync (some revisions quarantined) is still a good sync.
  const partial = await runs.start({ kind: 'metadata', triggerSource: 'manual' }, t0 + 50 * H);
  await runs.finish(partial.syncRunId, { outcome: 'partial' }, t0 + 50 * H);
  assert.equal(
    (await checkStaleSync(createRepositories(db), { staleAfterMs: limit, now: t0 + 51 * H })).stale,
    false,
  );

  // The job logs a warning only while stale.
  const lines: { msg: string; level: number }[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; level: number }) },
  );
  const job = staleSyncJob({ source: createRepositories(db), staleAfterMs: H });
  await job.run({ signal: new AbortController().signal, logger, cause: 'manual', slotAt: 0, nodeId: 'a' });
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 40);
  assert.match(lines[0]!.msg, /older than sync.stale_after_hours/);

  // A rollback pin is warned about even while the syncs are fresh: clients get nothing newer until unpin.
  const { generations } = createRepositories(db);
  for (let i = 0; i < 2; i++) await generations.activate((await generations.createStaged()).generationId);
  await generations.rollback({}, Date.parse('2025-06-03T00:00:00Z'));
  const fresh = await runs.start({ kind: 'metadata', triggerSource: 'manual' });
  await runs.finish(fresh.syncRunId, { outcome: 'succeeded' });
  lines.length = 0;
  await job.run({ signal: new AbortController().signal, logger, cause: 'manual', slotAt: 0, nodeId: 'a' });
  assert.equal(lines.length, 1);
  assert.equal(
    lines[0]!.msg,
    'the catalog is pinned to generation 1 since 2025-06-03T00:00:00.000Z (catalog rollback): ' +
      'synchronizations run but are not activated until `patchbay catalog unpin`',
  );
  await generations.unpin();
  lines.length = 0;
  await job.run({ signal: new AbortController().signal, logger, cause: 'manual', slotAt: 0, nodeId: 'a' });
  assert.equal(lines.length, 0);
});
