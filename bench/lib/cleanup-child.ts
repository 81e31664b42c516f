/**
 * Child process of bench/cleanup.bench.ts, so each measurement has its own RSS high-water mark:
 *   cleanup <dataDir> <now>         the real cleanup (CleanupService over the data dir's SQLite database)
 *   anchor <dataDir> <now> <items>  plain DELETEs of the same rows the cleanup removed, in one transaction
 * Sends { ms, maxRssMiB, ... } to the parent over IPC.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createCleanupService, type CleanupReport } from '../../src/maintenance/index.js';
import { FsContentStore, openDatabase } from '../../src/storage/index.js';

export const benchCleanupSettings = {
  contentMode: 'approved' as const,
  declineSupersededAfterDays: 30,
  unapprovedFileDays: 30,
  computerSilentDays: 90,
  eventRetentionDays: 30,
  keepGenerations: 1,
};

const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;

async function cleanup(dir: string, now: number) {
  const handle = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
  const store = await FsContentStore.open(join(dir, 'content'));
  const service = createCleanupService(handle, store, benchCleanupSettings);
  const rssBefore = maxRssMiB();
  const t0 = performance.now();
  // How long the event loop went without a turn: what a request arriving then would have waited at least.
  let last = t0;
  let stall = { ms: 0, at: 0 };
  const timer = setInterval(() => {
    const t = performance.now();
    if (t - last > stall.ms) stall = { ms: t - last, at: last - t0 };
    last = t;
  }, 2);
  const r: CleanupReport = await service.run({ now }, { via: 'system', name: 'bench' });
  const ms = performance.now() - t0;
  clearInterval(timer);
  await handle.close();
  const ids = (step: string) => r.steps.find((s) => s.step === step)?.items.map((i) => i.id) ?? [];
  return {
    ms,
    maxRssMiB: maxRssMiB(),
    rssBeforeMiB: rssBefore,
    steps: r.steps.map((s) => ({ step: s.step, rows: s.rows, items: s.items.length, ms: s.ms })),
    stall: { ms: stall.ms, step: stepAt(r, stall.at, ms) },
    total: r.total,
    removed: {
      revisions: ids('revisions'),
      computers: ids('computers'),
      generations: ids('generations'),
      forgottenFiles: r.steps
        .find((s) => s.step === 'files')!
        .items.filter((i) => i.detail === 'no stored revision names it')
        .map((i) => i.id),
    },
  };
}

/** The step running `at` ms into the run (the steps' times are consecutive; the totals before come first). */
function stepAt(r: CleanupReport, at: number, total: number): string {
  let end = total - r.steps.reduce((n, s) => n + s.ms, 0);
  if (at < end) return 'the totals before the steps';
  for (const s of r.steps) if (at < (end += s.ms)) return s.step;
  return 'the totals after the steps';
}

type Removed = Awaited<ReturnType<typeof cleanup>>['removed'];

/** The anchor: the same rows deleted by plain statements in one transaction (better-sqlite3 directly). */
function anchor(dir: string, now: number, removed: Removed) {
  const db = new Database(join(dir, 'patchbay.db'));
  // The pragmas openDatabase sets (src/storage/db/open-database.ts), so only the statements differ.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const t0 = performance.now();
  db.transaction(() => {
    const rev = db.prepare('delete from revisions where update_id = ? and revision_number = ?');
    for (const id of removed.revisions) {
      const [u, n] = id.split('/');
      rev.run(u, Number(n));
    }
    const file = db.prepare('delete from files where sha1 = ?');
    for (const h of removed.forgottenFiles) file.run(Buffer.from(h, 'hex'));
    const comp = db.prepare('delete from computers where computer_id = ?');
    for (const c of removed.computers) comp.run(c);
    db.prepare('delete from client_events where received_at < ?').run(
      now - benchCleanupSettings.eventRetentionDays * 86_400_000,
    );
    const gm = db.prepare('delete from generation_members where generation_id = ?');
    const g = db.prepare('delete from catalog_generations where generation_id = ?');
    for (const id of removed.generations) {
      gm.run(Number(id));
      g.run(Number(id));
    }
  })();
  const ms = performance.now() - t0;
  db.close();
  return { ms, maxRssMiB: maxRssMiB() };
}

const [mode, dir, nowText, itemsFile] = process.argv.slice(2);
const now = Number(nowText);
const out =
  mode === 'cleanup'
    ? await cleanup(dir!, now)
    : anchor(dir!, now, JSON.parse(readFileSync(itemsFile!, 'utf8')) as Removed);
process.send!(out, undefined, {}, () => process.exit(0));
