/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- CLI --json output, webhook bodies and Prometheus answers are untyped JSON; the assertions check their shape. */
/**
 * Issue 16 item 3: `patchbay health` exit codes (0 ok, 1 warning, 2 critical, 3 unknown) and the fields of
 * `patchbay status --json`, on both databases.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/index.js';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { createRepositories } from '../../../src/storage/index.js';
import {
  adminDrivers,
  openTestDatabase,
  stopAdminPostgres,
  type TestDatabase,
} from '../../helpers/admin-db.js';
import { createTestPki } from '../../helpers/tls.js';

after(stopAdminPostgres);

async function cli(db: TestDatabase, env: Record<string, string>, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    env: { ...db.env, PATCHBAY_SERVER_DATA_DIR: db.dir, PATCHBAY_LOG_LEVEL: 'silent', ...env },
    cwd: db.dir,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

async function goodSync(db: TestDatabase, finishedAt: number): Promise<number> {
  const runs = createRepositories(db.handle).syncRuns;
  const run = await runs.start({ kind: 'metadata', triggerSource: 'manual' }, finishedAt - 1000);
  await runs.finish(run.syncRunId, { outcome: 'succeeded' }, finishedAt);
  return run.syncRunId;
}

for (const driver of adminDrivers()) {
  void describe(`health and status (${driver})`, () => {
    void test('health: warning before the first sync, ok after, critical without a content store', async (t) => {
      const db = await openTestDatabase(t, driver);
      mkdirSync(join(db.dir, 'content'));
      const first = await cli(db, {}, 'health');
      assert.equal(first.code, 1, first.stdout + first.stderr);
      assert.match(first.stdout, /^Patchbay health: WARNING/);
      assert.match(first.stdout, /WARNING +sync: no synchronization has succeeded yet/);

      await goodSync(db, Date.now() - 3_600_000);
      const ok = await cli(db, {}, 'health', '--json');
      assert.equal(ok.code, 0, ok.stdout);
      const report = JSON.parse(ok.stdout);
      assert.equal(report.status, 'ok');
      for (const name of ['database', 'content-store', 'disk-content', 'sync', 'content-failures'])
        assert.ok(
          report.checks.some((c: any) => c.name === name && c.status === 'ok'),
          `${name} ok: ${ok.stdout}`,
        );

      // The last good sync 1 h old: warning past stale_after_hours, critical past twice that.
      const stale = await cli(db, { PATCHBAY_SYNC_STALE_AFTER_HOURS: '1' }, 'health');
      assert.equal(stale.code, 1, stale.stdout);
      assert.match(stale.stdout, /WARNING +sync: last good synchronization 1 h ago \(stale after 1 h\)/);
      await goodSync(db, Date.now() - 30 * 3_600_000);
      const old = await cli(db, { PATCHBAY_SYNC_STALE_AFTER_HOURS: '10' }, 'health');
      assert.equal(old.code, 2, old.stdout);
      assert.match(old.stdout, /CRITICAL sync: last good synchronization 30 h ago/);

      rmSync(join(db.dir, 'content'), { recursive: true });
      const noStore = await cli(db, {}, 'health');
      assert.equal(noStore.code, 2, noStore.stdout);
      assert.match(noStore.stdout, /CRITICAL content-store: .* does not exist/);
    });

    void test('health: disk thresholds, certificate expiry, failed downloads, unknown', async (t) => {
      const db = await openTestDatabase(t, driver);
      mkdirSync(join(db.dir, 'content'));
      await goodSync(db, Date.now());
      const disk = await cli(
        db,
        { PATCHBAY_HEALTH_DISK_WARNING_PERCENT: '99', PATCHBAY_HEALTH_DISK_CRITICAL_PERCENT: '0' },
        'health',
      );
      assert.equal(disk.code, 1, disk.stdout);
      assert.match(disk.stdout, /WARNING +disk-content: .*% free/);
      const full = await cli(
        db,
        { PATCHBAY_HEALTH_DISK_WARNING_PERCENT: '99', PATCHBAY_HEALTH_DISK_CRITICAL_PERCENT: '99' },
        'health',
      );
      assert.equal(full.code, 2, full.stdout);

      // The throwaway certificate is valid for two days: within cert_warning_days.
      const pki = createTestPki();
      t.after(() => pki.cleanup());
      writeFileSync(join(db.dir, 'cert.pem'), pki.certPem);
      writeFileSync(join(db.dir, 'key.pem'), pki.keyPem);
      const tls = {
        PATCHBAY_SERVER_TLS_CERT_FILE: join(db.dir, 'cert.pem'),
        PATCHBAY_SERVER_TLS_KEY_FILE: join(db.dir, 'key.pem'),
      };
      const cert = await cli(db, tls, 'health');
      assert.equal(cert.code, 1, cert.stdout);
      assert.match(cert.stdout, /WARNING +certificate: expires in [01] day\(s\)/);
      assert.equal((await cli(db, { ...tls, PATCHBAY_HEALTH_CERT_WARNING_DAYS: '0' }, 'health')).code, 0);

      await db.handle.db
        .insertInto('files')
        .values({
          sha1: Buffer.alloc(20, 7),
          sha256: null,
          size: 10,
          name: 'x.cab',
          mu_url: null,
          content_state: 'failed',
          state_changed_at: Date.now(),
          attempts: 3,
          last_error: 'digest mismatch',
          created_at: Date.now(),
        })
        .execute();
      const failed = await cli(db, {}, 'health');
      assert.equal(failed.code, 1);
      assert.match(failed.stdout, /WARNING +content-failures: 1 file\(s\) failed/);

      const unknown = await cli(db, { PATCHBAY_SERVER_HTTP_PORT: 'eighty' }, 'health');
      assert.equal(unknown.code, 3);
      assert.match(unknown.stderr, /Patchbay health: UNKNOWN/);
    });

    void test('status --json has the issue list: version, database, disk, sync, catalog, quarantine, queue, clients, warnings', async (t) => {
      const db = await openTestDatabase(t, driver);
      mkdirSync(join(db.dir, 'content'));
      const id = await goodSync(db, Date.now() - 60_000);
      const r = await cli(db, { PATCHBAY_SYNC_SYNCS_PER_DAY: '2' }, 'status', '--json');
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout);
      assert.match(s.version, /^\d+\.\d+\.\d+/);
      assert.equal(s.database.driver, driver);
      assert.ok(s.database.bytes > 0);
      assert.ok(s.disk.content.freeBytes > 0 && s.disk.content.totalBytes >= s.disk.content.freeBytes);
      assert.equal(typeof s.disk.data.freePercent, 'number');
      assert.equal(s.sync.last.syncRunId, id);
      assert.equal(s.sync.lastGood.outcome, 'succeeded');
      assert.ok(Date.parse(s.sync.nextScheduledAt) > Date.now());
      assert.equal(s.catalog.activeGenerationId, null);
      assert.equal(s.catalog.pinnedGenerationId, null);
      assert.equal(s.quarantinedRevisions, 0);
      assert.equal(s.content.queuedFiles, 0);
      assert.deepEqual(s.clients, {
        computers: 0,
        activeLastHour: 0,
        installFailuresLastHour: 0,
        compliance: { compliant: 0, needed: 0, failed: 0, unknown: 0 },
      });
      assert.deepEqual(s.warnings, []);
      const manual = JSON.parse(
        (await cli(db, { PATCHBAY_SYNC_SYNCS_PER_DAY: '0' }, 'status', '--json')).stdout,
      );
      assert.equal(manual.sync.nextScheduledAt, null);
      const text = await cli(db, {}, 'status');
      assert.match(text.stdout, /^version: +Patchbay /m);
      assert.match(text.stdout, /^warnings: +none$/m);
      assert.match(text.stdout, /^clients: +0 computer\(s\), 0 active in the last hour/m);
    });
  });
}
