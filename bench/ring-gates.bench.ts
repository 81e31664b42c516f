/**
 * Issue 14: evaluating a ring's health gate for 100,000 computers (--quick 5,000). SYNTHETIC fleet on SQLite: two
 * rings of groups (ring 0 a tenth of the fleet, the last ring everyone else), one update with an install outcome
 * for 80 % of the computers (5 % failed), detection failures and uninstall events on a few, last scans spread
 * around the stage start. The figure is the set-based statement the promotion job runs per rollout and stage
 * (RingFigureRepository.figures: installs, failures, faults, stopped scans and uninstalls in one pass), for the
 * last ring (the most computers, with the earlier ring excluded). Anchor, same run and rows: a plain COUNT ...
 * GROUP BY state of the update's outcomes (what any compliance view costs). ms per evaluation, lower is better.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createRepositories, migrateToLatest, openDatabase } from '../src/storage/index.js';
import type { BenchResult } from './lib/result.js';

const id = (prefix: number, n: number) =>
  `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const updateId = id(0xa, 1);

async function median(rounds: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function run(opts: { quick: boolean }): Promise<BenchResult[]> {
  const computers = opts.quick ? 5_000 : 100_000;
  const rounds = opts.quick ? 5 : 9;
  const dir = mkdtempSync(join(tmpdir(), 'pb-bench-gates-'));
  const handle = openDatabase({ driver: 'sqlite', path: join(dir, 'gates.db') });
  try {
    await migrateToLatest(handle);
    const db = handle.db;
    const now = Date.now();
    const since = now - 86_400_000;
    const groups = [id(0xb, 1), id(0xb, 2)];
    await db
      .insertInto('computer_groups')
      .values(
        groups.map((g, i) => ({
          group_id: g,
          name: `Ring${i}`,
          parent_group_id: null,
          description: null,
          is_builtin: 0,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    const chunk = 1_000; // 27 columns a computer row: under SQLite's 32,766 bind parameters
    for (let start = 0; start < computers; start += chunk) {
      const ids = Array.from({ length: Math.min(chunk, computers - start) }, (_, k) => start + k);
      await handle.transaction(async (trx) => {
        await trx
          .insertInto('computers')
          .values(
            ids.map((n) => ({
              computer_id: id(0xc, n),
              dns_name: `pc${n}.bench.test`,
              ip_address: null,
              os_major: 10,
              os_minor: 0,
              os_build: 22631,
              os_revision: null,
              os_service_pack_major: null,
              os_service_pack_minor: null,
              os_locale: null,
              os_product_type: 1,
              os_description: null,
              computer_make: null,
              computer_model: null,
              bios_version: null,
              firmware_version: null,
              client_version: null,
              processor_architecture: null,
              inventory: null,
              downstream_server_id: null,
              registered_at: since - 10 * 86_400_000,
              updated_at: now,
              // Most scanned during the stage; every 50th last scanned before it (stopped scanning).
              last_sync_at: n % 50 === 1 ? since - 3_600_000 : since + (n % 1000) * 1000,
              last_report_at: now,
              last_inventory_at: null,
            })),
          )
          .execute();
        await trx
          .insertInto('group_memberships')
          .values(
            ids.map((n) => ({
              computer_id: id(0xc, n),
              group_id: n % 10 === 0 ? groups[0]! : groups[1]!,
              source: 'server',
              added_at: now,
            })),
          )
          .execute();
        const reported = ids.filter((n) => n % 5 !== 0);
        await trx
          .insertInto('update_status')
          .values(
            reported.map((n) => ({
              computer_id: id(0xc, n),
              update_id: updateId,
              revision_id: null,
              state: n % 20 === 1 ? 5 : 4,
              hresult: n % 20 === 1 ? -2145124322 : null,
              status_at: since + 1000,
              updated_at: since + 1000,
            })),
          )
          .execute();
        const events = ids.filter((n) => n % 100 === 3 || n % 500 === 7);
        if (events.length > 0)
          await trx
            .insertInto('client_events')
            .values(
              events.map((n) => ({
                event_instance_id: id(0xe, n),
                computer_id: id(0xc, n),
                event_id: n % 100 === 3 ? 148 : 222,
                namespace_id: 1,
                source_id: null,
                event_at: since + 2000,
                received_at: since + 2000,
                update_id: n % 100 === 3 ? null : updateId,
                revision_number: 200,
                win32_hresult: null,
                raw: '',
                is_raw_truncated: 0,
              })),
            )
            .execute();
      });
    }
    // Planner statistics, as a server that has run for a while has them.
    await sql`analyze`.execute(db);
    const figures = createRepositories(handle).ringFigures;
    const lastRing = {
      updateId,
      scope: { groupIds: [groups[1]!], excludeGroupIds: [groups[0]!], everyComputer: true },
      since,
      stoppedWindowMs: 86_400_000,
      stoppedGraceMs: 300_000,
    };
    const check = await figures.figures(lastRing);
    if (check.computers !== computers - computers / 10)
      throw new Error(`gate counted ${check.computers} computers, expected ${computers - computers / 10}`);
    const anchorQuery = () =>
      db
        .selectFrom('update_status')
        .select(['state', (eb) => eb.fn.countAll().as('n')])
        .where('update_id', '=', updateId)
        .groupBy('state')
        .execute();
    await figures.figures(lastRing);
    await anchorQuery();
    const gateMs = await median(rounds, () => figures.figures(lastRing));
    const anchorMs = await median(rounds, anchorQuery);
    console.log(
      `ring gate over ${computers} computers: ${gateMs.toFixed(1)} ms (figures ${JSON.stringify(check)}); ` +
        `COUNT/GROUP BY of the same outcomes: ${anchorMs.toFixed(1)} ms`,
    );
    return [
      {
        id: 'R14g',
        name: `ring gate evaluation, ${computers} computers (ms, lower is better; ratio anchor/value)`,
        value: gateMs,
        unit: 'ms',
        anchor: anchorMs,
        anchorName: 'COUNT/GROUP BY state of the same outcomes',
        ratio: anchorMs / gateMs,
      },
    ];
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
