/**
 * 50,000 computers x their update states through the real CLI (`patchbay connector run` as a child
 * process) into the reference receiver, in bounded memory: the child's peak RSS (reported in its JSON
 * summary) must stay under a fixed bound, with the V8 heap capped below the document size, far below what holding the document would take, and must not grow
 * with the fleet (compared with a run over a fleet 50 times smaller). PATCHBAY_CONNECTOR_BIG_COMPUTERS
 * changes the size (default 50,000).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceSummary } from '../../../src/connectors/index.js';
import { spawnCli } from '../../helpers/cli.js';
import { seed, sqliteDb, startReceiver, tempDir, writeIni } from './harness.js';

const computers = Number(process.env.PATCHBAY_CONNECTOR_BIG_COMPUTERS ?? 50_000);
const updates = 10;
/** Peak RSS bound for the connector process (tsx + pino + undici + better-sqlite3 start at ~110 MiB). */
const rssBoundBytes = 256 * 1024 * 1024;
/**
 * The child's V8 old space is capped well below the document size (82 MiB at 50,000 computers), so a run
 * that held the document, a page list or the parts in memory would die of heap exhaustion instead of
 * passing. Without the cap V8 collects lazily and the peak RSS is higher (measured ~320 MiB) but not needed.
 */
const heapCapMiB = 96;

async function runCliJson(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; summary: InstanceSummary[]; err: string }> {
  const child = spawnCli(args, { cwd, env });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  return { code, summary: code === 0 ? (JSON.parse(out) as InstanceSummary[]) : [], err };
}

async function fleetRun(t: import('node:test').TestContext, n: number) {
  const dir = tempDir(t);
  const { handle, path } = await sqliteDb(t, dir);
  const seeded = Date.now();
  await seed(handle, { securityUpdates: updates, computers: n, groups: ['Fleet'] });
  const seedMs = Date.now() - seeded;
  await handle.close();
  const receiver = await startReceiver(t, tempDir(t));
  writeIni(
    dir,
    { driver: 'sqlite', path },
    [{ name: 'big', url: receiver.url, groups: ['Fleet'], extra: { part_size: '1MiB' } }],
    { log_severity: 'warning' },
  );
  const started = Date.now();
  const r = await runCliJson(['-c', 'connector.ini', 'connector', 'run', '--json'], dir, {
    NODE_OPTIONS: `--max-old-space-size=${heapCapMiB}`,
  });
  const runMs = Date.now() - started;
  assert.equal(r.code, 0, r.err);
  const s = r.summary[0]!;
  return { s, seedMs, runMs, receiver };
}

void test(
  `${computers} computers x ${updates} updates in bounded memory`,
  { timeout: 240_000 },
  async (t) => {
    const small = await fleetRun(t, Math.max(100, Math.floor(computers / 50)));
    const big = await fleetRun(t, computers);
    const g = big.s.groups[0]!;
    assert.equal(big.s.outcome, 'succeeded');
    assert.equal(g.records.computers, computers);
    assert.equal(g.records.statuses, computers * updates);
    assert.ok(g.parts > 10, `${g.parts} parts`);
    const doc = big.receiver.document('big', big.s.runId, 'Fleet');
    assert.ok(doc !== undefined && Buffer.byteLength(doc) === g.bytes);
    const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
    process.stdout.write(
      `# connector ${computers} computers x ${updates}: seed ${big.seedMs} ms, run ${big.runMs} ms (in-process ${big.s.durationMs} ms), ` +
        `${mib(g.bytes)} document in ${g.parts} parts, peak RSS ${mib(big.s.maxRssBytes)} ` +
        `(${small.s.groups[0]!.records.computers} computers: ${mib(small.s.maxRssBytes)})\n`,
    );
    assert.ok(
      big.s.maxRssBytes < rssBoundBytes,
      `peak RSS ${mib(big.s.maxRssBytes)} over ${mib(rssBoundBytes)}`,
    );
    // Memory does not follow the fleet: 50x the data, a bounded difference far smaller than the document.
    const growth = big.s.maxRssBytes - small.s.maxRssBytes;
    assert.ok(
      growth < Math.min(64 * 1048576, g.bytes / 2),
      `RSS grew by ${mib(growth)} for a ${mib(g.bytes)} document`,
    );
  },
);
