/**
 * Several nodes (issue 17): three `patchbay serve` processes sharing one PostgreSQL database and one content
 * directory behind a real HAProxy (started here with the configuration docs/operations.md shows: health
 * checks on /readyz, http-keep-alive, a keep-alive timeout below the server's). A cookie issued by one node is
 * accepted by another; a node killed with SIGKILL during a small storm costs no scan more than the client's
 * own retry (bench/lib/storm.ts retries a call once on a connection error, 502, 503 or 504, as WUA does);
 * the restarted node is taken back by the balancer and serves again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsContentStore, migrateToLatest, openDatabase } from '../../../src/storage/index.js';
import { benchGroupName, seedBenchCatalog, seedBenchComputers } from '../../../bench/lib/bench-catalog.js';
import { crossNodePage, describeStorm, runStorm, type StormFleet } from '../../../bench/lib/storm.js';
import { freePort, startCliProcess } from '../../helpers/cli.js';
import { postgresSkipReason, startPostgresCluster } from '../../helpers/postgres.js';

const haproxyBin = '/usr/sbin/haproxy';
const skip = postgresSkipReason() ?? (existsSync(haproxyBin) ? undefined : 'haproxy not installed');
const computerId = (n: number): string => `30000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** The balancer configuration of docs/operations.md ("Several nodes"), with this test's ports. */
export function haproxyConfig(port: number, nodes: readonly number[]): string {
  return `global
  maxconn 4000
defaults
  mode http
  option http-keep-alive
  timeout connect 2s
  timeout client 60s
  timeout server 120s
  timeout http-keep-alive 30s
  retries 2
  option redispatch
frontend wsus
  bind 127.0.0.1:${port}
  default_backend patchbay
backend patchbay
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
  http-response set-header X-Served-By %[srv_name]
${nodes.map((p, i) => `  server node${i + 1} 127.0.0.1:${p} check`).join('\n')}
`;
}

void test(
  'three nodes on one PostgreSQL behind HAProxy: shared cookies, a node killed mid-storm, its rejoin',
  { skip, timeout: 120_000 },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'pb-multinode-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const cluster = await startPostgresCluster();
    t.after(() => cluster.stop());
    const url = await cluster.createDatabase({ name: 'patchbay' });
    const handle = openDatabase({ driver: 'postgres', connectionString: url });
    await migrateToLatest(handle);
    const catalog = await seedBenchCatalog(handle, { revisions: 600, approvals: 200, applicableLeaves: 200 });
    await seedBenchComputers(handle, catalog.groupId, 200, computerId);
    await handle.close();
    const contentDir = join(dir, 'content');
    const store = await FsContentStore.open(contentDir);
    const file = randomBytes(2 << 20);
    const sha1 = createHash('sha1').update(file).digest();
    await store.ingest([file], { sha1, size: file.length });
    const hex = sha1.toString('hex').toUpperCase();

    const lbPort = await freePort();
    const ports = [await freePort(), await freePort(), await freePort()];
    const admins = [await freePort(), await freePort(), await freePort()];
    const base = `http://127.0.0.1:${lbPort}`;
    const nodes: ({ pid: number; done: Promise<unknown> } | undefined)[] = [];
    const startNode = async (i: number) => {
      const data = join(dir, `node${i + 1}`);
      await mkdir(data, { recursive: true });
      nodes[i] = startCliProcess(['serve'], {
        cwd: data,
        timeoutMs: 300_000,
        env: {
          PATCHBAY_SERVER_DATA_DIR: data,
          PATCHBAY_SERVER_BIND: '127.0.0.1',
          PATCHBAY_SERVER_HTTP_PORT: String(ports[i]),
          PATCHBAY_SERVER_BASE_URL: base,
          PATCHBAY_ADMIN_PORT: String(admins[i]),
          PATCHBAY_DATABASE_DRIVER: 'postgres',
          PATCHBAY_DATABASE_URL: url,
          PATCHBAY_CONTENT_DIR: contentDir,
          PATCHBAY_SYNC_SYNCS_PER_DAY: '0',
          PATCHBAY_CLIENTS_NEW_COMPUTERS_PER_ADDRESS: '0',
          PATCHBAY_LOG_LEVEL: 'warn',
        },
      });
    };
    const ready = async (port: number) => {
      for (let i = 0; i < 240; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`node on ${port} not ready`);
    };
    t.after(async () => {
      for (const n of nodes) if (n) process.kill(n.pid, 'SIGKILL');
      for (const n of nodes) await n?.done;
    });
    await Promise.all([0, 1, 2].map(startNode));
    await Promise.all(ports.map(ready));

    await writeFile(join(dir, 'haproxy.cfg'), haproxyConfig(lbPort, ports));
    const lb: ChildProcess = spawn(haproxyBin, ['-db', '-f', join(dir, 'haproxy.cfg')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let lbErr = '';
    lb.stderr?.on('data', (d: Buffer) => (lbErr += d.toString()));
    t.after(() => {
      lb.kill('SIGKILL');
    });
    const servedBy = async (calls: number): Promise<Set<string>> => {
      const seen = new Set<string>();
      for (let i = 0; i < calls; i++) {
        const r = await fetch(`${base}/readyz`, { headers: { connection: 'close' } }).catch(() => undefined);
        const who = r?.headers.get('x-served-by');
        if (r?.status === 200 && who) seen.add(who);
      }
      return seen;
    };
    for (let i = 0; (await servedBy(6)).size < 3; i++) {
      assert.ok(i < 40, `the balancer never saw three healthy nodes: ${lbErr}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    const fleet: StormFleet = {
      installedNonLeafIds: catalog.nonLeafIds,
      cachedLeafIds: [catalog.unmetDetectoidId!, ...catalog.leafIds.slice(0, 50)],
      targetGroup: benchGroupName,
      content: { path: `/Content/${hex.slice(-2)}/${hex}.cab`, size: file.length },
      clientId: computerId,
    };
    // A cookie issued by node 1 is accepted by nodes 2 and 3 (one cookie key in the shared database).
    for (const other of [1, 2]) {
      const page = await crossNodePage(
        `http://127.0.0.1:${ports[0]}`,
        `http://127.0.0.1:${ports[other]}`,
        fleet,
        other,
      );
      assert.match(page, /<NewUpdates><UpdateInfo><ID>\d+<\/ID>/);
    }

    // A small storm through the balancer; node 2 is killed a second in.
    const storm = runStorm({
      origin: base,
      fleet,
      scansPerSecond: 4,
      seconds: 5,
      firstComputer: 10,
      retryDelayMs: 1_500,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    process.kill(nodes[1]!.pid, 'SIGKILL');
    await nodes[1]!.done;
    const r = await storm;
    assert.equal(r.failed, 0, `scans failed when a node died:\n${describeStorm(r)}`);
    assert.equal(r.completed, r.started);

    // The restarted node rejoins: the balancer sends it requests again.
    await startNode(1);
    await ready(ports[1]!);
    for (let i = 0; !(await servedBy(6)).has('node2'); i++) {
      assert.ok(i < 40, 'the restarted node never served through the balancer');
      await new Promise((r) => setTimeout(r, 250));
    }
    const after = await runStorm({ origin: base, fleet, scansPerSecond: 3, seconds: 2, firstComputer: 100 });
    assert.equal(after.failed, 0, describeStorm(after));
  },
);
