/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- CLI --json output and API answers are untyped; the assertions check their shape. */
/**
 * Issue 13 items 1 and 2 on both databases, over a SYNTHETIC supersedence catalog activated as one generation
 * 40 days ago: supersedence in `updates list/show` and GET /api/v1/updates (transitive, within the active
 * catalog, with the superseding update's approval), the filters, and `decline --superseded` (the safe rule,
 * its dry run equal to the real run, the audit).
 */
import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import { createRepositories, publicViewsDb } from '../../../src/storage/index.js';
import { adminDrivers, seedComputers, stopAdminPostgres, type Driver } from '../../helpers/admin-db.js';
import { seedSupersedenceCatalog, supersedingSoftware } from '../../helpers/seed-catalog.js';
import { adminCli, adminJson, startApi, type ApiHarness } from './harness.js';

after(stopAdminPostgres);

const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const product = id(1);
const detectoid = id(2);
/** Chain: B supersedes A, C supersedes B (so C supersedes A transitively). */
const A = id(0xa);
const B = id(0xb);
const C = id(0xc);
/** D is superseded only by E, which is stored but NOT in the active catalog. */
const D = id(0xd);
const E = id(0xe);
/** F superseded by G; G is not approved. */
const F = id(0xf);
const G = id(0x10);
/** H (approved for Ring 1) superseded by I (approved for Ring 2 only). */
const H = id(0x11);
const I = id(0x12);
const pc1 = '22222222-0000-4000-8000-000000000001';
const pc2 = '22222222-0000-4000-8000-000000000002';
const dayMs = 86_400_000;

async function start(t: TestContext, driver: Driver): Promise<ApiHarness> {
  const h = await startApi(t, driver);
  const handle = h.db.handle;
  await seedSupersedenceCatalog(
    handle,
    { product, detectoid },
    [
      { updateId: A },
      { updateId: B, supersedes: [A] },
      { updateId: C, supersedes: [B] },
      { updateId: D },
      { updateId: F },
      { updateId: G, supersedes: [F] },
      { updateId: H },
      { updateId: I, supersedes: [H] },
    ],
    Date.now() - 40 * dayMs,
  );
  // Stored after the activation: pending, not served, so it supersedes nothing an admin can see.
  await createRepositories(handle).revisions.upsertMany([
    supersedingSoftware({ product, detectoid }, E, [D]),
  ]);
  const actor = { via: 'cli' as const, name: 'test' };
  await h.services.groups.create({ name: 'Ring 1' }, actor);
  await h.services.groups.create({ name: 'Ring 2' }, actor);
  await seedComputers(handle, [
    { id: pc1, name: 'pc1.example.test', groups: [] },
    { id: pc2, name: 'pc2.example.test', groups: [] },
  ]);
  const approve = (updateIds: string[], group: string) =>
    h.services.approvals.approve({ selection: { updateIds }, groups: [group], action: 'install' }, actor);
  await approve([A, B, C, F, H], 'Ring 1');
  await approve([I], 'Ring 2');
  // B is still needed by pc1; D failed on pc2.
  await createRepositories(handle).updateStatus.upsert([
    { computerId: pc1, updateId: B, state: 2, statusAt: Date.now() },
    { computerId: pc2, updateId: D, state: 5, statusAt: Date.now() },
  ]);
  return h;
}

const ids = (items: { updateId: string }[]) => items.map((u) => u.updateId).sort();

for (const driver of adminDrivers())
  void describe(`supersedence (${driver})`, () => {
    void test('updates show/list and the API say who supersedes an update, transitively, within the active catalog', async (t) => {
      const h = await start(t, driver);
      const a = await adminJson(h.db, 'updates', 'show', A);
      assert.equal(a.isSuperseded, true);
      assert.deepEqual(
        a.supersededBy.map((b: any) => [b.updateId, b.approved, b.direct]),
        [
          [B, true, true],
          [C, true, false],
        ],
      );
      const shown = await adminCli(h.db, 'updates', 'show', A);
      assert.match(shown.stdout, /Superseded:\s+yes, since /);
      assert.match(shown.stdout, new RegExp(`by ${C} \\(approved, through a chain\\)`));
      const c = await adminJson(h.db, 'updates', 'show', C);
      assert.equal(c.isSuperseded, false);
      // E is stored but not served: D is not superseded.
      const d = await adminJson(h.db, 'updates', 'show', D);
      assert.equal(d.isSuperseded, false);
      assert.deepEqual(d.supersededBy, []);
      const g = await adminJson(h.db, 'updates', 'show', F);
      assert.deepEqual(
        g.supersededBy.map((b: any) => [b.updateId, b.approved]),
        [[G, false]],
      );

      const api = await h.call('GET', '/api/v1/updates?superseded=true&limit=100');
      assert.equal(api.statusCode, 200, api.body);
      assert.deepEqual(ids(api.json().items), [A, B, F, H].sort());
      const item = api.json().items.find((u: any) => u.updateId === A);
      assert.deepEqual(ids(item.supersededBy), [B, C]);
      const table = await adminCli(h.db, 'updates', 'list', '--superseded');
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /SUPERSEDED BY/);
      assert.match(table.stdout, new RegExp(`${F} [^\\n]* ${G} \\(not approved\\)`));
      assert.match(table.stdout, new RegExp(`${A} [^\\n]* ${B} \\(approved\\) \\+1`));
    });

    void test('the view vUpdateSupersedence has the same supersedence as updates show', async (t) => {
      const h = await start(t, driver);
      const rows = await publicViewsDb(h.db.handle)
        .selectFrom('vupdatesupersedence')
        .select([
          'updateid as u',
          'supersedingupdateid as s',
          'isdirect as d',
          'issupersedingapproved as a',
          'issupersedingdeclined as x',
        ])
        .orderBy('updateid')
        .orderBy('supersedingupdateid')
        .execute();
      const fromView = rows.map((r) => [r.u, r.s, Number(r.d), Number(r.a), Number(r.x)]);
      const fromShow: unknown[][] = [];
      for (const u of [A, B, C, D, E, F, G, H, I].sort())
        for (const b of (await h.services.updates.show(u)).supersededBy)
          fromShow.push([u, b.updateId, Number(b.direct), Number(b.approved), Number(b.declined)]);
      assert.deepEqual(fromView, fromShow);
      assert.deepEqual(fromView, [
        [A, B, 1, 1, 0],
        [A, C, 0, 1, 0],
        [B, C, 1, 1, 0],
        [F, G, 1, 0, 0],
        [H, I, 1, 1, 0],
      ]);
    });

    void test('filters --superseded, --needed, --failed, --not-approved and their combinations (CLI and API)', async (t) => {
      const h = await start(t, driver);
      const list = async (...args: string[]) =>
        ids((await adminJson(h.db, 'updates', 'list', '--limit', '200', ...args)).items).filter((u: string) =>
          u.startsWith('00000000-'),
        );
      assert.deepEqual(await list('--needed'), [B]);
      assert.deepEqual(await list('--failed'), [D]);
      assert.deepEqual(await list('--not-approved'), [D, E, G].sort());
      assert.deepEqual(await list('--superseded', '--not-approved'), []);
      assert.deepEqual(await list('--superseded', '--needed'), [B]);
      assert.deepEqual(await list('--superseded', '--approval', 'approved'), [A, B, F, H].sort());
      const api = async (q: string) => {
        const r = await h.call('GET', `/api/v1/updates?limit=200&${q}`);
        assert.equal(r.statusCode, 200, r.body);
        return ids(r.json().items).filter((u: string) => u.startsWith('00000000-'));
      };
      assert.deepEqual(await api('superseded=false&approval=unapproved'), [D, E, G].sort());
      assert.deepEqual(await api('failed=true'), [D]);
      assert.deepEqual(await api('needed=true&superseded=true'), [B]);

      const typo = await adminCli(h.db, 'updates', 'list', '--approval', 'aproved');
      assert.equal(typo.code, 64);
      assert.match(typo.stderr, /did you mean "approved"/);
      const clash = await adminCli(h.db, 'updates', 'list', '--not-approved', '--approval', 'declined');
      assert.equal(clash.code, 64);
      assert.match(clash.stderr, /contradicts/);
      const bad = await h.call('GET', '/api/v1/updates?superseded=maybe');
      assert.equal(bad.statusCode, 400);
      const badEnum = await h.call('GET', '/api/v1/updates?approval=aproved');
      assert.equal(badEnum.statusCode, 400);
      assert.match(badEnum.json().detail ?? badEnum.body, /one of approved, unapproved, declined/);
    });

    void test('decline --superseded: the dry run lists exactly what the real run declines, audited as the rule', async (t) => {
      const h = await start(t, driver);
      const before = await h.fingerprint();
      const dry = await adminJson(h.db, 'decline', '--superseded', '--dry-run');
      assert.equal(dry.dryRun, true);
      assert.deepEqual(await h.fingerprint(), before, 'the dry run changed nothing');
      // A: replaced by B and C, approved for Ring 1 like A. B: needed by pc1. F: G not approved.
      // H: I is approved for Ring 2 only.
      assert.deepEqual(ids(dry.declined), [A]);
      assert.deepEqual(dry.declined[0].replacedBy, [B, C]);
      assert.deepEqual(
        dry.kept.map((k: any) => [k.updateId, k.keep.reason]).sort(),
        [
          [B, 'needed'],
          [F, 'no-approved-superseding'],
          [H, 'groups-not-covered'],
        ].sort(),
      );
      const recent = await adminJson(h.db, 'decline', '--superseded', '--dry-run', '--min-days', '41');
      assert.deepEqual(recent.declined, []);
      assert.ok(recent.kept.some((k: any) => k.updateId === A && k.keep.reason === 'too-recent'));

      const real = await adminJson(h.db, 'decline', '--superseded');
      assert.equal(real.dryRun, false);
      assert.deepEqual(
        real.declined.map((c: any) => ({ ...c })),
        dry.declined.map((c: any) => ({ ...c })),
      );
      assert.deepEqual(real.kept, dry.kept);
      const a = await adminJson(h.db, 'updates', 'show', A);
      assert.equal(a.isDeclined, true);
      assert.deepEqual(a.approvals, [], 'a decline removes the approvals');
      const audit = await h.services.audit.list({ action: 'update.decline' });
      assert.deepEqual(
        audit.items.map((r: any) => [r.targetId, r.actor]),
        [[A, 'rule:decline-superseded']],
      );
      assert.match(JSON.stringify(audit.items[0]?.detail), /run by cli:/);
      // Nothing left for the rule: a second run declines nothing.
      assert.deepEqual((await adminJson(h.db, 'decline', '--superseded')).declined, []);

      const mixed = await adminCli(h.db, 'decline', '--superseded', '--severity', 'Critical');
      assert.equal(mixed.code, 64);
      const api = await h.call('POST', '/api/v1/declines/superseded', { body: { dryRun: true } });
      assert.equal(api.statusCode, 200, api.body);
      assert.deepEqual(api.json().declined, []);
    });
  });
