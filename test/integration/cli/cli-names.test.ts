/**
 * No silent no-ops on the command line (issue 10, items 13 and 14), on SQLite and PostgreSQL: a mistyped
 * classification, product, group or severity is exit 65 with a did-you-mean and changes nothing; a command
 * run where no database exists says where it looked (exit 66) and creates nothing; a KB number shared by
 * several updates lists them instead of picking one; names, not GUIDs, where an admin reads them.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, type CliIo } from '../../../src/cli/index.js';
import { createRepositories } from '../../../src/storage/index.js';
import {
  adminDrivers,
  emptyPostgresUrl,
  openTestDatabase,
  revisionFromDocument,
  seed,
  seedCatalog,
  stopAdminPostgres,
  syntheticUpdateDocument,
  type TestDatabase,
} from '../../helpers/admin-db.js';

after(stopAdminPostgres);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cliWith(env: Record<string, string>, cwd: string, args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    env: { ...env, PATCHBAY_LOG_LEVEL: 'silent' },
    cwd,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const cli = (db: TestDatabase, ...args: string[]) =>
  cliWith({ ...db.env, PATCHBAY_SERVER_DATA_DIR: db.dir }, db.dir, args);

const fingerprint = (db: TestDatabase) => createRepositories(db.handle).adminQueries.fingerprint();

/** Exit 65, one PB_ERR_INVALID_PARAMETER line with the suggestion, nothing printed or changed. */
async function typo(db: TestDatabase, suggestion: string, ...args: string[]): Promise<void> {
  const before = await fingerprint(db);
  const r = await cli(db, ...args);
  assert.equal(r.code, 65, `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, /^patchbay: PB_ERR_INVALID_PARAMETER: unknown /);
  assert.ok(r.stderr.includes(`(did you mean "${suggestion}"?)`), r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(await fingerprint(db), before, `${args.join(' ')} must change nothing`);
}

for (const driver of adminDrivers()) {
  void describe(`CLI names on ${driver}`, () => {
    void test('unknown classification, product, group or severity: exit 65 with a did-you-mean, in every command', async (t) => {
      const db = await openTestDatabase(t, driver);
      await seedCatalog(db.handle);
      assert.equal((await cli(db, 'groups', 'create', 'Ring 0')).code, 0);

      const cls = ['--classification', 'Securty Updates'];
      await typo(db, 'Security Updates', 'approve', ...cls, '--group', 'Ring 0');
      await typo(db, 'Security Updates', 'unapprove', ...cls, '--group', 'Ring 0');
      await typo(db, 'Security Updates', 'decline', ...cls);
      await typo(db, 'Security Updates', 'undecline', ...cls);
      await typo(db, 'Security Updates', 'updates', 'list', ...cls);
      await typo(db, 'Windows 11', 'updates', 'list', '--product', 'Windows 111');
      await typo(db, 'Critical', 'updates', 'list', '--severity', 'Critcal');
      await typo(db, 'Ring 0', 'approve', 'KB5099002', '--group', 'Rign 0');
      await typo(db, 'Ring 0', 'updates', 'list', '--approval', 'approved', '--approval-group', 'Rign 0');
      await typo(db, 'Security Updates', 'rules', 'create', '--name', 'r', ...cls, '--group', 'Ring 0');
      await typo(
        db,
        'Ring 0',
        'rules',
        'create',
        '--name',
        'r',
        '--product',
        'Windows 11',
        '--group',
        'Rign 0',
      );
      await typo(db, 'Ring 0', 'computers', 'list', '--group', 'Rign 0');
      await typo(db, 'Ring 0', 'reports', 'updates', '--group', 'Rign 0');
      await typo(db, 'Security Updates', 'reports', 'updates', ...cls);
      await typo(db, 'Windows 11', 'reports', 'updates', '--product', 'windows 12');
      await typo(db, 'Critical', 'reports', 'updates', '--severity', 'critcal');
      await typo(db, 'Ring 0', 'reports', 'compliance', '--group', 'ring o');

      // Nothing close: the short closed list of severities is printed instead.
      const far = await cli(db, 'updates', 'list', '--severity', 'Urgent');
      assert.equal(far.code, 65);
      assert.match(far.stderr, /unknown severity "Urgent" \(one of Critical, Important, Moderate, Low\)/);

      // The right names, in any case, still select: the check refuses nothing a filter would match.
      const ok = await cli(
        db,
        'approve',
        '--classification',
        'security updates',
        '--group',
        'ring 0',
        '--json',
      );
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok((JSON.parse(ok.stdout) as { changes: unknown[] }).changes.length > 0);
      // A GUID is an id, not a typo: taken as is.
      const byId = await cli(db, 'updates', 'list', '--classification', seed.securityUpdates, '--json');
      assert.equal(byId.code, 0, byId.stderr);
    });

    void test('updates show: a KB shared by several updates lists them; approvals show group names', async (t) => {
      const db = await openTestDatabase(t, driver);
      await seedCatalog(db.handle);
      const twinId = '11111111-2222-4333-8444-000000000009';
      const types = new Map([
        [seed.securityUpdates, 'UpdateClassification'],
        [seed.windows11, 'Product'],
      ]);
      await createRepositories(db.handle).revisions.upsertMany([
        revisionFromDocument(
          syntheticUpdateDocument({
            id: twinId,
            title: '2026-10 Cumulative Update for Windows 11 on Arm64 (KB5099001)',
            kb: '5099001',
            classificationId: seed.securityUpdates,
            productId: seed.windows11,
          }),
          types,
        ),
      ]);
      const r = await cli(db, 'updates', 'show', 'KB5099001');
      assert.equal(r.code, 65, r.stderr);
      assert.match(
        r.stderr,
        /^patchbay: PB_ERR_INVALID_PARAMETER: KB5099001 names 2 updates; name one by its update id:/,
      );
      assert.ok(
        r.stderr.includes(
          `${seed.cumulative}  2026-10 Cumulative Update for Windows 11 (KB5099001)  [Windows 11]`,
        ),
        r.stderr,
      );
      assert.ok(r.stderr.includes(`${twinId}  2026-10 Cumulative Update for Windows 11 on Arm64`), r.stderr);
      assert.equal(r.stdout, '');
      assert.equal((await cli(db, 'updates', 'show', twinId)).code, 0);

      const ring = JSON.parse((await cli(db, 'groups', 'create', 'Ring 0', '--json')).stdout) as {
        groupId: string;
      };
      assert.equal((await cli(db, 'approve', 'KB5099002', '--group', 'Ring 0')).code, 0);
      const shown = await cli(db, 'updates', 'show', 'KB5099002');
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /^Ring 0\s+install\s/m);
      assert.ok(!shown.stdout.includes(ring.groupId), shown.stdout);
    });

    void test('products/classifications enable and disable print titles, not GUIDs', async (t) => {
      const db = await openTestDatabase(t, driver);
      await seedCatalog(db.handle);
      const on = await cli(db, 'products', 'enable', seed.windows11, seed.defenderProduct);
      assert.equal(on.code, 0, on.stderr);
      assert.equal(on.stdout, 'products: Windows, Windows 11, Microsoft Defender Antivirus\n');
      const off = await cli(db, 'products', 'disable', seed.defenderProduct);
      assert.equal(off.code, 0, off.stderr);
      assert.equal(off.stdout, 'products: Windows, Windows 11\n');
      const cls = await cli(db, 'classifications', 'disable', 'Definition Updates');
      assert.equal(cls.stdout, 'classifications: Critical Updates, Security Updates\n');
    });

    void test('no database: commands say where they looked (exit 66) and create nothing', async (t) => {
      const db = await openTestDatabase(t, driver);
      const env: Record<string, string> =
        driver === 'sqlite'
          ? { PATCHBAY_DATABASE_DRIVER: 'sqlite', PATCHBAY_SERVER_DATA_DIR: join(db.dir, 'fresh') }
          : { PATCHBAY_DATABASE_DRIVER: 'postgres', PATCHBAY_DATABASE_URL: await emptyPostgresUrl() };
      // An upstream that refuses at once, so a sync that wrongly went ahead would fail fast, not hang.
      env.PATCHBAY_UPSTREAM_URL = 'http://127.0.0.1:9/ServerSyncWebService/ServerSyncWebService.asmx';
      env.PATCHBAY_UPSTREAM_RETRIES = '0';
      for (const args of [
        ['updates', 'list'],
        ['groups', 'list'],
        ['reports', 'updates'],
        ['sync'],
        ['sync', 'history'],
        ['content', 'status'],
        ['content', 'download'],
        ['classifications', 'list'],
      ]) {
        const r = await cliWith(env, db.dir, args);
        assert.equal(r.code, 66, `${args.join(' ')}: ${r.stderr}`);
        assert.match(
          r.stderr,
          driver === 'sqlite'
            ? /^patchbay: PB_ERR_NOT_FOUND: no Patchbay database at sqlite .*fresh.patchbay\.db \(database\.path\): run `patchbay db migrate`/
            : /^patchbay: PB_ERR_NOT_FOUND: no Patchbay database at postgres postgres(ql)?:\/\/.* \(database\.url\)/,
        );
        assert.equal(r.stdout, '');
      }
      if (driver === 'sqlite') assert.equal(existsSync(join(db.dir, 'fresh')), false, 'nothing created');
      // db migrate creates it (every migration still to apply: no command above made the schema); then the
      // same command works.
      const migrate = await cliWith(env, db.dir, ['db', 'migrate']);
      assert.equal(migrate.code, 0, migrate.stderr);
      assert.match(migrate.stdout, /^applied 0001/m);
      const after = await cliWith(env, db.dir, ['groups', 'list']);
      assert.equal(after.code, 0, after.stderr);
      assert.match(after.stdout, /All Computers/);
    });
  });
}
