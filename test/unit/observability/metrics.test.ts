/**
 * The metric names the docs and the Grafana dashboard use exist in the registry (docs stay true).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PatchbayMetrics, type ScrapeSnapshot } from '../../../src/observability/index.js';

const snapshot: ScrapeSnapshot = {
  computers: 3,
  activeComputers: 2,
  compliance: { compliant: 1, needed: 1, failed: 0, unknown: 1 },
  quarantined: 0,
  lastGoodSyncAgeSeconds: 12,
  contentFiles: { queued: { files: 2, bytes: 10 }, verified: { files: 5, bytes: 99 } },
  syncRuns: [{ kind: 'metadata', outcome: 'succeeded', n: 4 }],
  contentDisk: { freeBytes: 1, totalBytes: 2 },
  pool: { max: 10, total: 3, idle: 2, waiting: 0 },
};

void test('every metric the docs and the dashboard name is exposed', async () => {
  const m = new PatchbayMetrics({ cacheMs: 60_000 });
  m.setScrapeSource({ snapshot: () => Promise.resolve(snapshot) });
  m.observeSoap('SyncUpdates', 'ok', 0.01);
  const { body } = await m.expose();
  const exposed = new Set([...body.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((x) => x[1]!));
  const dashboard = readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
  const docs = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
  const named = new Set([
    ...[...dashboard.matchAll(/\b((?:patchbay|nodejs|process)_[a-z0-9_]+)/g)].map((x) => x[1]!),
    ...[...docs.matchAll(/`((?:patchbay|nodejs|process)_[a-z0-9_]+)`/g)].map((x) => x[1]!),
  ]);
  const base = (n: string) => n.replace(/_(bucket|sum|count)$/, '');
  for (const n of named) assert.ok(exposed.has(n) || exposed.has(base(n)), `${n} is not exposed`);
  assert.match(body, /^patchbay_computers_by_compliance\{state="needed"\} 1$/m);
  assert.match(body, /^patchbay_db_pool_connections\{state="busy"\} 1$/m);
  assert.match(body, /^patchbay_soap_requests_total\{operation="SyncUpdates",outcome="ok"\} 1$/m);
});

void test('a database that fails is asked once per scrape (not once per gauge), and again at the next scrape', async () => {
  const m = new PatchbayMetrics({ cacheMs: 60_000, processMetrics: false });
  let calls = 0;
  let fail = true;
  m.setScrapeSource({
    snapshot: async () => {
      calls++;
      // A real driver fails after a round trip, not synchronously.
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('database down');
      return snapshot;
    },
  });
  const first = await m.expose();
  assert.equal(calls, 1, 'one attempt for all the database gauges of a scrape');
  assert.doesNotMatch(first.body, /^patchbay_computers \d/m, 'absent, not zero, while the database fails');
  assert.match(
    first.body,
    /^# TYPE patchbay_soap_requests_total counter$/m,
    'the counters are still exposed',
  );
  fail = false;
  const second = await m.expose();
  assert.equal(calls, 2, 'a failure is not cached: the next scrape asks again');
  assert.match(second.body, /^patchbay_computers 3$/m);
});
