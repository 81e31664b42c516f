/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- CLI --json output, webhook bodies and Prometheus answers are untyped JSON; the assertions check their shape. */
/**
 * Issue 16 items 1 and 4: a real Prometheus (Debian's binary) scrapes a running Patchbay's /metrics every
 * second with a monitor-role bearer token, during a scheduled sync and Windows-like scans; the expected
 * series are then queried from Prometheus's HTTP API, on SQLite and on PostgreSQL (where the pool series are
 * expected too). Skips only when the binary is missing outside CI.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdminServices } from '../../../src/admin/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { databaseOptions, startPatchbay } from '../../../src/main.js';
import { createRepositories, migrateToLatest, openDatabase } from '../../../src/storage/index.js';
import { adminDrivers, emptyPostgresUrl, stopAdminPostgres, type Driver } from '../../helpers/admin-db.js';
import { freePort } from '../../helpers/cli.js';
import { postSoap, silentLogger } from '../client-service/harness.js';
import { simulatedScan } from '../client-service/wua-facts.js';
import { SoapFaultError, WuspClient } from '../client-service/wusp-client.js';
import { productEnv, startProductUpstream } from '../e2e/product-upstream.js';

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
const skip =
  hasPrometheus || process.env.CI === 'true'
    ? false
    : 'the prometheus binary is not installed (apt-get install prometheus; scripts/test-all.sh does)';

async function scan(baseUrl: string): Promise<void> {
  for (let n = 0; ; n++) {
    try {
      const h = {
        baseUrl,
        post: (p: string, b: string, hd?: Record<string, string>) => postSoap(baseUrl + p, b, hd),
      };
      const wua = new WuspClient(h as never, randomUUID());
      await wua.handshake();
      await wua.register();
      await simulatedScan(wua);
      return;
    } catch (e) {
      if (!(e instanceof SoapFaultError) || e.errorCode !== 'ServerBusy' || n >= 20) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

after(stopAdminPostgres);

for (const driver of adminDrivers())
  void test(
    `${driver}: a real Prometheus scrapes /metrics during a sync and scans; the series are in its API`,
    { skip, timeout: 120_000 },
    async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'pb-prom-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const up = await startProductUpstream(t);
      const slot = new Date(Math.ceil((Date.now() + 120_000) / 60_000) * 60_000);
      const hhmm = `${String(slot.getHours()).padStart(2, '0')}:${String(slot.getMinutes()).padStart(2, '0')}`;
      const adminPort = await freePort();
      const config = await loadConfigOrThrow({
        env: {
          ...productEnv(up, dir),
          PATCHBAY_SERVER_BIND: '127.0.0.1',
          PATCHBAY_SERVER_HTTP_PORT: String(await freePort()),
          PATCHBAY_ADMIN_BIND: '127.0.0.1',
          PATCHBAY_ADMIN_PORT: String(adminPort),
          PATCHBAY_SYNC_FIRST_SYNC_TIME: hhmm,
          PATCHBAY_SYNC_SYNCS_PER_DAY: '1',
          PATCHBAY_SYNC_JITTER_MINUTES: '0',
          PATCHBAY_METRICS_CACHE_SECONDS: '1',
          ...(await databaseEnv(driver)),
        },
      });
      // A monitor token, as an operator creates with `patchbay tokens create --role monitor`.
      const pre = openDatabase(databaseOptions(config));
      await migrateToLatest(pre);
      const admin = createAdminServices(pre);
      const monitor = (
        await admin.tokens.create({ name: 'prometheus', role: 'monitor' }, { via: 'cli', name: 'test' })
      ).token;
      const connector = (
        await admin.tokens.create({ name: 'asset', role: 'connector' }, { via: 'cli', name: 'test' })
      ).token;
      await pre.close();

      let offset: number | undefined;
      const server = await startPatchbay(config, silentLogger, {
        schedulerClock: {
          now: () => Date.now() + (offset ??= slot.getTime() - 3_000 - Date.now()),
          setTimer: (fn, ms) => {
            const timer = setTimeout(fn, ms);
            timer.unref();
            return () => clearTimeout(timer);
          },
        },
      });
      t.after(() => server.close());
      const metricsUrl = `${server.addresses.admin}/metrics`;

      // Access: no token 401, a token without metrics:read 403, the monitor token 200.
      assert.equal((await fetch(metricsUrl)).status, 401);
      assert.equal(
        (await fetch(metricsUrl, { headers: { authorization: `Bearer ${connector}` } })).status,
        403,
      );
      const direct = await fetch(metricsUrl, { headers: { authorization: `Bearer ${monitor}` } });
      assert.equal(direct.status, 200);
      assert.match(direct.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);

      const promPort = await freePort();
      await writeFile(join(dir, 'token'), monitor);
      await writeFile(
        join(dir, 'prometheus.yml'),
        [
          'global:',
          '  scrape_interval: 1s',
          'scrape_configs:',
          '  - job_name: patchbay',
          '    authorization:',
          `      credentials_file: ${join(dir, 'token')}`,
          '    static_configs:',
          `      - targets: ['127.0.0.1:${adminPort}']`,
          '',
        ].join('\n'),
      );
      const prom = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let promLog = '';
      prom.stderr.on('data', (d: Buffer) => (promLog = (promLog + d.toString()).slice(-8000)));
      // Stopped by its pid, and waited for: no Prometheus outlives the test.
      const promExited = new Promise<void>((r) => prom.once('exit', () => r()));
      t.after(async () => {
        prom.kill('SIGTERM');
        await promExited;
      });
      const query = async (
        q: string,
      ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
        const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await r.json()) as { status: string; data: { result: any[] } };
        assert.equal(body.status, 'success', q);
        return body.data.result;
      };

      // Scans before, during and after the scheduled sync.
      const repos = createRepositories(openDatabaseFor(t, config));
      const deadline = Date.now() + 60_000;
      let scans = 0;
      for (;;) {
        await scan(server.addresses.http!);
        scans++;
        const runs = await repos.syncRuns.list(10);
        if (runs.some((r) => r.kind !== 'content' && r.finishedAt !== null) && scans >= 3) break;
        assert.ok(Date.now() < deadline, 'the scheduled sync ends');
      }
      await scan(server.addresses.http!);

      // Prometheus has scraped since (its targets page says up), and the series are there.
      const wanted: [string, (v: number) => boolean][] = [
        ['up{job="patchbay"}', (v) => v === 1],
        ['patchbay_soap_requests_total{operation="SyncUpdates",outcome="ok"}', (v) => v >= 4],
        ['patchbay_soap_requests_total{operation="GetCookie",outcome="ok"}', (v) => v >= 4],
        ['patchbay_client_scans_total', (v) => v >= 4],
        ['sum(patchbay_soap_request_duration_seconds_count{operation="SyncUpdates"})', (v) => v >= 4],
        ['patchbay_sync_runs_finished_total{kind="metadata",outcome="succeeded"}', (v) => v === 1],
        ['patchbay_sync_revisions_imported_total', (v) => v > 0],
        ['patchbay_sync_runs{kind="metadata",outcome="succeeded"}', (v) => v === 1],
        ['patchbay_last_good_sync_age_seconds', (v) => v >= 0 && v < 120],
        ['patchbay_computers', (v) => v >= 4],
        ['patchbay_computers_active', (v) => v >= 4],
        ['sum(patchbay_computers_by_compliance)', (v) => v >= 4],
        ['patchbay_quarantined_revisions', (v) => v === 0],
        ['patchbay_content_queue_length', (v) => v >= 0],
        ['patchbay_content_disk_free_bytes', (v) => v > 0],
        ['patchbay_db_query_duration_seconds_count', (v) => v > 0],
        ...(driver === 'postgres'
          ? ([
              ['patchbay_db_pool_connections{state="max"}', (v) => v >= 1],
              ['patchbay_db_pool_connections{state="busy"}', (v) => v >= 0],
              ['patchbay_db_pool_waiting', (v) => v >= 0],
            ] as [string, (v: number) => boolean][])
          : []),
        ['nodejs_eventloop_lag_seconds', (v) => v >= 0],
        ['process_resident_memory_bytes', (v) => v > 0],
      ];
      const until = Date.now() + 30_000;
      const missingNow = async (): Promise<string[]> => {
        const out: string[] = [];
        for (const [q, ok] of wanted) {
          const r = await query(q);
          if (r.length === 0 || !ok(Number(r[0]!.value[1]))) out.push(`${q} = ${r[0]?.value[1] ?? 'absent'}`);
        }
        return out;
      };
      let missing = await missingNow();
      while (missing.length > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 1000));
        missing = await missingNow();
      }
      assert.deepEqual(missing, [], `series missing or wrong in Prometheus\n${promLog}`);
      // Bounded labels: no computer id, address or URL ever becomes a label value.
      const series = await query('{__name__=~"patchbay_.+"}');
      for (const s of series)
        for (const [k, v] of Object.entries(s.metric))
          if (!['__name__', 'job', 'instance'].includes(k))
            assert.match(v, /^[A-Za-z_.+0-9-]{1,40}$/, `${s.metric.__name__}{${k}="${v}"}`);
      assert.ok(series.length < 500, `${series.length} series`);
    },
  );

async function databaseEnv(driver: Driver): Promise<Record<string, string>> {
  return driver === 'sqlite'
    ? {}
    : { PATCHBAY_DATABASE_DRIVER: 'postgres', PATCHBAY_DATABASE_URL: await emptyPostgresUrl() };
}

function openDatabaseFor(t: import('node:test').TestContext, config: Parameters<typeof databaseOptions>[0]) {
  const db = openDatabase(databaseOptions(config));
  t.after(() => db.close());
  return db;
}
