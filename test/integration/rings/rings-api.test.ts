/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- API answers are untyped JSON; the assertions check their shape. */
/**
 * Rings over REST on SQLite and PostgreSQL, over real HTTP on loopback: ring CRUD with roles, audit and the CLI's
 * error codes; ringed approvals (preview, start, status, history, resume / skip / stop); the ringed catalog change
 * routes. The CLI reads back what the API wrote (one service behind both).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Role } from '../../../src/admin/index.js';
import { PatchbayMetrics } from '../../../src/observability/index.js';
import { storageScrapeSource } from '../../../src/operations/index.js';
import { adminDrivers, seed, stopAdminPostgres } from '../../helpers/admin-db.js';
import { adminJson, startApi } from '../admin/harness.js';

after(stopAdminPostgres);

type Call = (
  method: string,
  path: string,
  o?: { body?: unknown; role?: Role },
) => Promise<{ status: number; type: string; json: any }>;

async function overHttp(t: Parameters<typeof startApi>[0], driver: 'sqlite' | 'postgres') {
  const h = await startApi(t, driver);
  const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const call: Call = async (method, path, o = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${h.tokens[o.role ?? 'admin']}`,
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', json: await res.json() };
  };
  return { h, call };
}

function problem(r: { status: number; type: string; json: any }, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.match(r.type, /^application\/problem\+json/);
  assert.equal(r.json.code, code);
  assert.ok(String(r.json.detail).length > 0);
}

for (const driver of adminDrivers())
  void describe(`rings REST API on ${driver}`, () => {
    void test('rings: create, read, change, delete with roles, audit and the CLI codes', async (t) => {
      const { h, call } = await overHttp(t, driver);
      for (const name of ['Pilot', 'Broad', 'Late'])
        assert.equal((await call('POST', '/api/v1/groups', { body: { name } })).status, 201);

      // Concurrent creates on one handle finish (the reported SQLite hang: one connection, nested use).
      const made = await Promise.all([
        call('POST', '/api/v1/rings', {
          body: { name: 'pilot', groups: ['Pilot'], soak: '1d', minReported: 2, maxFailurePercent: 10 },
        }),
        call('POST', '/api/v1/rings', { body: { name: 'broad', groups: ['Broad'], soak: '2d' } }),
      ]);
      for (const r of made) assert.equal(r.status, 201, JSON.stringify(r.json));
      // Which of the two concurrent creates comes first is up to the database: the positions are 0 and 1 either way.
      const firstTwo = made
        .map((r) => [r.json.name as string, r.json.position as number] as const)
        .sort((a, b) => a[1] - b[1]);
      assert.deepEqual(
        firstTwo.map((x) => x[1]),
        [0, 1],
      );
      const late = await call('POST', '/api/v1/rings', {
        body: { name: 'late', groups: ['Late'], soak: '12h', maxUninstalls: 1 },
      });
      assert.equal(late.status, 201);
      assert.equal(late.json.position, 2);
      assert.equal(late.json.soakMs, 43_200_000);

      const list = await call('GET', '/api/v1/rings', { role: 'reporter' });
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.items.map((r: any) => r.name).sort(), ['broad', 'late', 'pilot']);
      // What the CLI prints is what the API answers.
      assert.deepEqual((await adminJson(h.db, 'rings', 'list')).items, list.json.items);

      problem(
        await call('POST', '/api/v1/rings', { role: 'reporter', body: { name: 'x' } }),
        403,
        'PB_ERR_FORBIDDEN',
      );
      problem(
        await call('POST', '/api/v1/rings', { role: 'approver', body: { name: 'x' } }),
        403,
        'PB_ERR_FORBIDDEN',
      );
      problem(await call('POST', '/api/v1/rings', { body: { name: 'pilot' } }), 409, 'PB_ERR_CONFLICT');
      problem(
        await call('POST', '/api/v1/rings', { body: { name: 'bad name' } }),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );
      problem(
        await call('POST', '/api/v1/rings', { body: { name: 'y', soak: 'soon' } }),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );
      problem(
        await call('POST', '/api/v1/rings', { body: { name: 'y', groups: ['Nope'] } }),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );
      problem(
        await call('POST', '/api/v1/rings', { body: { name: 'y', colour: 'red' } }),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );
      const unknown = await call('GET', '/api/v1/rings/pilto', { role: 'reporter' });
      problem(unknown, 400, 'PB_ERR_INVALID_PARAMETER');
      assert.equal(unknown.json.context.suggestion, 'pilot', 'an unknown name comes with the closest one');

      const changed = await call('PATCH', '/api/v1/rings/late', {
        body: { position: 0, maxFaultPercent: 20 },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.json));
      assert.equal(changed.json.position, 0);
      assert.equal(changed.json.maxFaultPercent, 20);
      problem(await call('PATCH', '/api/v1/rings/late', { body: {} }), 400, 'PB_ERR_INVALID_PARAMETER');
      assert.equal((await call('DELETE', '/api/v1/rings/late')).status, 200);
      assert.deepEqual(
        (await call('GET', '/api/v1/rings')).json.items.map((r: any) => [r.name, r.position]),
        firstTwo,
      );
      const audit = await h.services.audit.list({ targetType: 'ring' });
      const actions = audit.items.map((e) => `${e.action} ${e.actor}`);
      for (const a of ['ring.create', 'ring.set', 'ring.delete'])
        assert.ok(
          actions.includes(`${a} api:admin-token`),
          `${a} audited under the token: ${actions.join(', ')}`,
        );
    });

    void test('ringed approvals: preview, start, status, history, skip, stop, resume refused', async (t) => {
      const { h, call } = await overHttp(t, driver);
      for (const name of ['Pilot', 'Broad']) await call('POST', '/api/v1/groups', { body: { name } });
      await call('POST', '/api/v1/rings', { body: { name: 'pilot', groups: ['Pilot'], soak: '1d' } });
      await call('POST', '/api/v1/rings', { body: { name: 'broad', groups: ['Broad'], soak: '2d' } });

      const before = await h.fingerprint();
      const preview = await call('POST', '/api/v1/rollouts', {
        role: 'approver',
        body: { updateIds: [seed.cumulative], plan: 'pilot+2d,broad+3d', dryRun: true },
      });
      assert.equal(preview.status, 200, JSON.stringify(preview.json));
      assert.equal(preview.json.dryRun, true);
      assert.deepEqual(
        preview.json.schedule.map((s: any) => [s.ring, s.soak, s.deadlineOffset]),
        [
          ['pilot', '1d', '2d'],
          ['broad', '2d', '3d'],
        ],
      );
      assert.equal(
        preview.json.schedule[1].earliestStartAt - preview.json.schedule[0].earliestStartAt,
        86_400_000,
      );
      assert.deepEqual(await h.fingerprint(), before, 'a preview changes nothing');

      problem(
        await call('POST', '/api/v1/rollouts', {
          role: 'reporter',
          body: { updateIds: [seed.cumulative], plan: 'all' },
        }),
        403,
        'PB_ERR_FORBIDDEN',
      );
      problem(
        await call('POST', '/api/v1/rollouts', {
          body: { updateIds: [seed.cumulative], plan: 'broad,pilot' },
        }),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );
      problem(
        await call('POST', '/api/v1/rollouts', { body: { updateIds: [seed.cumulative], plan: 'pliot' } }),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );

      const started = await call('POST', '/api/v1/rollouts', {
        role: 'approver',
        body: { updateIds: [seed.cumulative], plan: 'pilot+2d,broad+3d' },
      });
      assert.equal(started.status, 200, JSON.stringify(started.json));
      const id = started.json.rollouts[0].rolloutId;
      assert.equal(typeof id, 'number');

      const status = await call('GET', '/api/v1/rollouts', { role: 'reporter' });
      assert.equal(status.status, 200);
      const r = status.json.items.find((x: any) => x.rolloutId === id);
      assert.equal(r.state, 'running');
      assert.equal(r.ring, 'pilot');
      assert.deepEqual(r.gate.thresholds, {
        minReported: 1,
        maxFailurePercent: 5,
        maxFaultPercent: 10,
        maxUninstalls: 0,
      });
      assert.equal(r.gate.figures.reported, 0);
      assert.equal(r.nextPromotionAt, r.since + 86_400_000);
      assert.match(r.holdReason ?? '', /report|soak/i);
      // The CLI's `rings status` reads the same.
      const cli = await adminJson(h.db, 'rings', 'status', String(id));
      assert.equal(cli.items[0].ring, 'pilot');
      assert.deepEqual(cli.items[0].gate.thresholds, r.gate.thresholds);

      problem(await call('POST', `/api/v1/rollouts/${id}/resume`, { body: {} }), 409, 'PB_ERR_CONFLICT');
      problem(
        await call('POST', `/api/v1/rollouts/${id}/skip`, { role: 'reporter', body: {} }),
        403,
        'PB_ERR_FORBIDDEN',
      );
      const skipped = await call('POST', `/api/v1/rollouts/${id}/skip`, { role: 'approver', body: {} });
      assert.equal(skipped.status, 200, JSON.stringify(skipped.json));
      assert.equal(skipped.json.ring, 'broad');
      const metrics = new PatchbayMetrics({ cacheMs: 0, processMetrics: false });
      metrics.setScrapeSource(storageScrapeSource(h.db.handle, h.db.dir));
      const rolloutGauge = async () =>
        (await metrics.expose()).body.split('\n').filter((l) => l.startsWith('patchbay_rollouts{'));
      assert.deepEqual(await rolloutGauge(), [
        'patchbay_rollouts{state="running"} 1',
        'patchbay_rollouts{state="paused"} 0',
        'patchbay_rollouts{state="completed"} 0',
        'patchbay_rollouts{state="stopped"} 0',
      ]);
      const stopped = await call('POST', `/api/v1/rollouts/${id}/stop`, { body: {} });
      assert.equal(stopped.json.state, 'stopped');
      problem(await call('POST', `/api/v1/rollouts/${id}/stop`, { body: {} }), 409, 'PB_ERR_CONFLICT');
      assert.ok((await rolloutGauge()).includes('patchbay_rollouts{state="stopped"} 1'));
      problem(await call('GET', '/api/v1/rollouts/999999'), 404, 'PB_ERR_NOT_FOUND');
      problem(await call('GET', '/api/v1/rollouts/abc'), 400, 'PB_ERR_INVALID_PARAMETER');

      assert.deepEqual((await call('GET', '/api/v1/rollouts')).json.items, []);
      assert.equal((await call('GET', '/api/v1/rollouts?all=true')).json.items[0].state, 'stopped');
      const history = await call('GET', `/api/v1/rollouts/${id}/history`, { role: 'reporter' });
      assert.deepEqual(
        history.json.items.map((e: any) => e.event),
        (await adminJson(h.db, 'rollouts', 'history', String(id))).items.map((e: any) => e.event),
      );
      assert.ok(
        history.json.items.some((e: any) => e.event === 'skipped' && e.actor === 'api:approver-token'),
      );
      const audit = (await h.services.audit.list({})).items.map((e) => e.action);
      for (const a of ['rollout.start', 'rollout.skip', 'rollout.stop']) assert.ok(audit.includes(a), a);
      problem(await call('DELETE', '/api/v1/rings/pilot', { role: 'approver' }), 403, 'PB_ERR_FORBIDDEN');
    });

    void test('the ringed catalog change: status without one, promote/hold/abort refused with the CLI code', async (t) => {
      const { h, call } = await overHttp(t, driver);
      const st = await call('GET', '/api/v1/catalog/rollout', { role: 'reporter' });
      assert.equal(st.status, 200);
      assert.equal(st.json.rollout, null);
      for (const name of ['promote', 'hold', 'abort'])
        problem(await call('POST', `/api/v1/catalog/rollout/${name}`, { body: {} }), 409, 'PB_ERR_CONFLICT');
      problem(
        await call('POST', '/api/v1/catalog/rollout/hold', { role: 'approver', body: { reason: 'x' } }),
        403,
        'PB_ERR_FORBIDDEN',
      );
      problem(
        await call('POST', '/api/v1/catalog/rollout/hold', { body: { reason: 'x'.repeat(501) } }),
        400,
        'PB_ERR_INVALID_PARAMETER',
      );
      assert.equal((await adminJson(h.db, 'catalog', 'rollout')) ?? null, null);
    });
  });
