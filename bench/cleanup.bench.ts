/**
 * Issue 13: `patchbay cleanup` of a SYNTHETIC catalog of 200,000 revisions with 50,000 computers (--quick:
 * 4,000 and 1,000), seeded through the repositories and bulk inserts, with real work for every step: 20 % of
 * the leaves obsolete (stored by a failed sync, in no generation), 2 % expired and not approved, superseded
 * approved updates, three old catalog generations beyond the one kept, 20 % of the computers silent for 120
 * days, two raw events per computer of which half are past retention.
 *
 * 1. Wall time and peak memory (RSS high-water of a child process that only runs the cleanup) beside the
 *    same-run anchor: plain DELETEs of the same rows in one transaction on an identical copy of the database
 *    (better-sqlite3, no paging, no checks; declines and database maintenance are not in the anchor).
 * 2. A real `patchbay serve` process on a third copy keeps serving: SyncUpdates p50/p99 of an open loop at a
 *    fixed rate while `POST /api/v1/cleanup` runs inside that process (as the scheduled job does), beside the
 *    same loop without cleanup (P2: p99 <= 250 ms). SQLite only: bench/lib has no PostgreSQL helper.
 */
import { fork, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Pool, request } from 'undici';
import { createAdminServices } from '../src/admin/index.js';
import { targetingModeSetting } from '../src/fleet/client-targeting.js';
import { bulkInsert, createRepositories, migrateToLatest, openDatabase } from '../src/storage/index.js';
import { syntheticRevision } from '../test/helpers/seed-catalog.js';
import { freePort } from '../test/helpers/cli.js';
import { formatResult, type BenchResult } from './lib/result.js';
import { openLoop, pct, scanSession } from './sync-updates.bench.js';

const dayMs = 86_400_000;
const guid = (n: number): string => `20000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const childFile = fileURLToPath(new URL('./lib/cleanup-child.ts', import.meta.url));
const binFile = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url));
/** The loader by absolute URL: serve runs with the data dir as its working directory. */
const tsxLoader = import.meta.resolve('tsx');

interface Seeded {
  readonly token: string;
  readonly installed: number[];
  readonly other: number[];
  readonly seedMs: number;
}

export async function seed(dir: string, revisions: number, computers: number, now: number): Promise<Seeded> {
  const t0 = performance.now();
  const handle = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
  await migrateToLatest(handle);
  const repos = createRepositories(handle);
  const old = now - 120 * dayMs;
  const cats = [
    syntheticRevision({ updateId: guid(1), type: 'Category' }),
    syntheticRevision({ updateId: guid(2), type: 'Category', categoryPrerequisites: [guid(1)] }),
  ];
  const detectoids = Array.from({ length: 8 }, (_, i) =>
    syntheticRevision({ updateId: guid(100 + i), type: 'Detectoid' }),
  );
  const kind = (i: number) => (i % 10 < 2 ? 'obsolete' : 'current');
  const leaves = Array.from({ length: revisions - cats.length - detectoids.length }, (_, i) =>
    syntheticRevision({
      updateId: guid(10_000 + i),
      type: 'Software',
      prerequisites: [[guid(100 + (i % 8))]],
      categoryPrerequisites: [guid(2)],
      files: [{ name: `kb${i}.msu`, bytes: Buffer.from(`synthetic payload ${i}`) }],
      // Every tenth supersedes the one before it (both approved below: the safe rule declines the older).
      ...(i % 10 === 4 ? { supersedes: [guid(10_000 + i - 1)] } : {}),
      ...(i % 50 === 7 ? { expired: true } : {}),
    }),
  );
  const ids = new Map<string, number>();
  const all = [...cats, ...detectoids, ...leaves];
  for (let i = 0; i < all.length; i += 5_000) {
    const chunk = all.slice(i, i + 5_000);
    const got = await repos.revisions.upsertMany(chunk, old);
    chunk.forEach((r, n) => ids.set(r.updateId, got[n]!));
  }
  const current = [...cats, ...detectoids, ...leaves.filter((_, i) => kind(i) === 'current')];
  // Four generations of the current catalog, a month apart: the newest is active, the three before it are
  // retired, and the cleanup keeps one of those for rollback.
  for (let g = 0; g < 4; g++) {
    const at = old + g * 30 * dayMs;
    const gen = await repos.generations.createStaged({ note: `bench ${g}` }, at);
    await repos.generations.addMembers(
      gen.generationId,
      current.map((r) => ({ revisionId: ids.get(r.updateId)!, isLeaf: false, isBundleMember: false })),
    );
    await repos.generations.activate(gen.generationId, at);
  }
  const group = await repos.groups.create({ name: 'Bench' });
  await repos.settings.set(targetingModeSetting, 'client', 'bench');
  const approved = leaves.filter((_, i) => kind(i) === 'current' && i % 50 !== 7).slice(0, 2_000);
  await repos.approvals.set(
    approved.map((l) => ({
      updateId: l.updateId,
      groupId: group.groupId,
      action: 'install' as const,
      approvedBy: 'bench',
      approvedVia: 'api',
    })),
  );
  const computerRows = Array.from({ length: computers }, (_, i) => {
    const lastSync = i % 5 === 0 ? now - 120 * dayMs : now - (i % 7) * dayMs;
    return [randomUUID(), `pc${i}.bench.test`, old, lastSync, lastSync] as const;
  });
  await bulkInsert(
    handle.db,
    'sqlite',
    {
      table: 'computers',
      columns: ['computer_id', 'dns_name', 'registered_at', 'updated_at', 'last_sync_at'],
    },
    computerRows,
  );
  const raw = '<ReportingEvent>SYNTHETIC</ReportingEvent>'.repeat(4);
  await bulkInsert(
    handle.db,
    'sqlite',
    {
      table: 'client_events',
      columns: [
        'event_instance_id',
        'computer_id',
        'event_id',
        'namespace_id',
        'event_at',
        'received_at',
        'raw',
        'is_raw_truncated',
      ],
    },
    computerRows.flatMap(([id], i) =>
      [40, 2].map(
        (age) => [randomUUID(), id, 147, 1, now - age * dayMs, now - age * dayMs - i, raw, 0] as const,
      ),
    ),
  );
  const token = (
    await createAdminServices(handle).tokens.create(
      { name: 'bench', role: 'admin' },
      {
        via: 'cli',
        name: 'bench',
      },
    )
  ).token;
  await handle.close();
  return {
    token,
    installed: [...cats, ...detectoids].map((r) => ids.get(r.updateId)!),
    other: approved.slice(0, 1_000).map((r) => ids.get(r.updateId)!),
    seedMs: performance.now() - t0,
  };
}

/** Runs bench/lib/cleanup-child.ts and returns what it sends. */
function child<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    let got: T | undefined;
    const c = fork(childFile, args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    c.on('message', (m) => (got = m as T));
    c.on('exit', (code) =>
      got !== undefined ? resolve(got) : reject(new Error(`${args[0]} child exited ${code}`)),
    );
  });
}

/** `patchbay serve` on the data dir (its own process), resolved once it answers GetConfig. */
async function serve(dir: string) {
  const [http, admin] = [await freePort(), await freePort()];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('PATCHBAY_')) env[k] = v;
  const proc = spawn(process.execPath, ['--import', tsxLoader, binFile, 'serve'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...env,
      PATCHBAY_SERVER_DATA_DIR: dir,
      PATCHBAY_SERVER_BIND: '127.0.0.1',
      PATCHBAY_SERVER_HTTP_PORT: String(http),
      PATCHBAY_ADMIN_BIND: '127.0.0.1',
      PATCHBAY_ADMIN_PORT: String(admin),
      PATCHBAY_SYNC_SYNCS_PER_DAY: '0',
      PATCHBAY_MAINTENANCE_CLEANUPS_PER_DAY: '0',
      PATCHBAY_MAINTENANCE_CLEANUP_KEEP_GENERATIONS: '1',
      PATCHBAY_LOG_LEVEL: 'warn',
    },
  });
  const pool = new Pool(`http://127.0.0.1:${http}`, { connections: 8 });
  for (let i = 0; ; i++) {
    try {
      const r = await pool.request({ path: '/ClientWebService/client.asmx', method: 'GET' });
      await r.body.dump();
      break;
    } catch (e) {
      if (i > 1_200 || proc.exitCode !== null) {
        proc.kill('SIGKILL');
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    pool,
    adminUrl: `http://127.0.0.1:${admin}`,
    async close() {
      await pool.close();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

export async function run(opts: { quick: boolean }): Promise<BenchResult[]> {
  const revisions = opts.quick ? 4_000 : 200_000;
  const computers = opts.quick ? 1_000 : 50_000;
  const rate = opts.quick ? 20 : 40;
  const baselineMs = opts.quick ? 2_000 : 10_000;
  const root = await mkdtemp(join(tmpdir(), 'pb-bench-cleanup-'));
  try {
    const now = Date.now();
    const dirs = ['a', 'b', 'c'].map((d) => join(root, d));
    for (const d of dirs) await mkdir(d);
    const s = await seed(dirs[0]!, revisions, computers, now);
    for (const d of dirs.slice(1)) await copyFile(join(dirs[0]!, 'patchbay.db'), join(d, 'patchbay.db'));

    // 1. The cleanup against the anchor, each in its own process.
    type CleanupOut = {
      ms: number;
      maxRssMiB: number;
      rssBeforeMiB: number;
      steps: { step: string; rows: number; items: number; ms: number }[];
      stall: { ms: number; step: string };
      total: { rows: number };
      removed: unknown;
    };
    const c = await child<CleanupOut>(['cleanup', dirs[0]!, String(now)]);
    const itemsFile = join(root, 'removed.json');
    await writeFile(itemsFile, JSON.stringify(c.removed));
    const a = await child<{ ms: number; maxRssMiB: number }>(['anchor', dirs[1]!, String(now), itemsFile]);
    const stepsText = c.steps.map((x) => `${x.step} ${x.items} item(s) ${x.ms} ms`).join(', ');
    const withoutDb = c.steps.filter((x) => x.step !== 'database').reduce((n, x) => n + x.ms, 0);

    // 2. Scans against a real serve process, without and then during a cleanup run inside it.
    const srv = await serve(dirs[2]!);
    let scan: { base: number[]; during: number[]; cleanupMs: number; inServe: string };
    try {
      const body = await scanSession(srv.pool, { group: 'Bench', installed: s.installed, other: s.other });
      await openLoop(srv.pool, body, rate, 1_000); // warm-up
      const base = await openLoop(srv.pool, body, rate, baselineMs);
      let done = false;
      let inServe = '';
      const t0 = performance.now();
      // serve's automatic download of the approved files (no upstream here) holds the content lease for a
      // moment after start: the cleanup answers 409 until it is released, then runs.
      const cleanup = (async () => {
        for (let i = 0; ; i++) {
          const r = await request(`${srv.adminUrl}/api/v1/cleanup`, {
            method: 'POST',
            headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
            body: '{}',
            headersTimeout: 0,
            bodyTimeout: 0,
          });
          const text = await r.body.text();
          if (r.statusCode === 409 && i < 240) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            continue;
          }
          if (r.statusCode !== 200)
            throw new Error(`cleanup answered ${r.statusCode}: ${text.slice(0, 300)}`);
          inServe = (JSON.parse(text) as { steps: { step: string; ms: number }[] }).steps
            .map((x) => `${x.step} ${x.ms} ms`)
            .join(', ');
          done = true;
          return;
        }
      })().catch((e: unknown) => {
        done = true;
        throw e;
      });
      const during: number[] = [];
      while (!done) during.push(...(await openLoop(srv.pool, body, rate, 500)));
      await cleanup;
      scan = { base, during, cleanupMs: performance.now() - t0, inServe };
    } finally {
      await srv.close();
    }

    console.error(
      `catalog ${revisions} revisions, ${computers} computers, seeded in ${(s.seedMs / 1000).toFixed(1)} s; cleanup removed ${c.total.rows} row(s): ${stepsText}; ` +
        `${withoutDb} ms without the database step; longest event-loop stall ${c.stall.ms.toFixed(0)} ms (in ${c.stall.step}); RSS before the run ${c.rssBeforeMiB.toFixed(0)} MiB; ` +
        `scans at ${rate}/s: without cleanup p50 ${pct(scan.base, 50).toFixed(1)} ms p99 ${pct(scan.base, 99).toFixed(1)} ms (${scan.base.length} calls), ` +
        `during the ${(scan.cleanupMs / 1000).toFixed(1)} s cleanup in serve (${scan.inServe}) p50 ${pct(scan.during, 50).toFixed(1)} ms p99 ${pct(scan.during, 99).toFixed(1)} ms (${scan.during.length} calls)`,
    );
    const p99 = pct(scan.during, 99);
    return [
      {
        id: 'CL1',
        name: `cleanup wall time, ${revisions} revisions, ${computers} computers (ratio = anchor/value)`,
        value: c.ms,
        unit: 'ms',
        anchor: a.ms,
        anchorName: 'plain DELETE of the same rows in one transaction',
        ratio: a.ms / c.ms,
      },
      {
        id: 'CL2',
        name: 'cleanup peak RSS of its process (ratio = anchor/value)',
        value: c.maxRssMiB,
        unit: 'MiB',
        anchor: a.maxRssMiB,
        anchorName: 'the plain DELETE process',
        ratio: a.maxRssMiB / c.maxRssMiB,
      },
      {
        id: 'P2',
        name: `SyncUpdates p99 at ${rate}/s while serve runs the cleanup (ratio = anchor/value)`,
        value: p99,
        unit: 'ms',
        anchor: pct(scan.base, 99),
        anchorName: 'same loop without cleanup',
        ratio: pct(scan.base, 99) / p99,
        target: '<= 250 ms',
        pass: p99 <= 250,
      },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
