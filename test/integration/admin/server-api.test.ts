/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- API answers are untyped JSON; the assertions check their shape. */
/**
 * REST parity (issue 15 item 1) over real HTTP against `startPatchbay` (what `patchbay serve` runs), on SQLite
 * and PostgreSQL, with the product fake upstream: a sync started with POST /api/v1/sync is a job (a second
 * POST while it runs is 409 naming it), streamed over SSE to `done`; the catalog and the quarantine show what
 * it imported; a rollback and a pin over the API change what a WUA-like client's scan is offered; a
 * misspelled product is 400 with a suggestion; a reporter token may read but not change (403). On PostgreSQL
 * a second node on the same database reads the job the first one ran. One server per database.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { createAdminServices } from '../../../src/admin/index.js';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { startPatchbay } from '../../../src/main.js';
import { freePort } from '../../helpers/cli.js';
import { syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { adminDrivers, openTestDatabase, stopAdminPostgres, type Driver } from '../../helpers/admin-db.js';
import { postSoap, silentLogger, type Harness } from '../client-service/harness.js';
import { WuspClient } from '../client-service/wusp-client.js';
import { cat, productEnv, publishExpiring, startProductUpstream } from '../e2e/product-upstream.js';

after(() => stopAdminPostgres());

const dangling = 'dada0000-0000-4000-8000-000000000001';

async function serve(t: TestContext, env: Record<string, string>, dataDir: string) {
  const config = await loadConfigOrThrow({
    env: {
      ...env,
      PATCHBAY_SERVER_DATA_DIR: dataDir,
      PATCHBAY_SERVER_BIND: '127.0.0.1',
      PATCHBAY_SERVER_HTTP_PORT: String(await freePort()),
      PATCHBAY_ADMIN_BIND: '127.0.0.1',
      PATCHBAY_ADMIN_PORT: String(await freePort()),
      PATCHBAY_SYNC_SYNCS_PER_DAY: '0',
    },
  });
  const server = await startPatchbay(config, silentLogger);
  t.after(() => server.close());
  return server.addresses;
}

/** Reads an event stream until `done` (or the deadline); returns the events in order. */
async function readEvents(url: string, token: string): Promise<{ event: string; data: any }[]> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: { event: string; data: any }[] = [];
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
    }
  }
  return events;
}

/** Update id -> action of one full scan by a new WUA-like client. */
async function scanActions(clientBase: string): Promise<Map<string, string>> {
  const h = {
    baseUrl: clientBase,
    post: (p: string, b: string, hd?: Record<string, string>) => postSoap(clientBase + p, b, hd),
  };
  const wua = new WuspClient(h as unknown as Harness, randomUUID());
  await wua.handshake();
  await wua.register();
  await wua.handshake();
  const installed = new Set<number>();
  const cached = new Set<number>();
  const actions = new Map<string, string>();
  for (let page = 0; page < 50; page++) {
    const a = await wua.sync({ installed: [...installed], other: [...cached] });
    for (const u of a.newUpdates) {
      actions.set(/UpdateIdentity UpdateID="([^"]+)"/.exec(u.xml)![1]!.toLowerCase(), u.action);
      (u.isLeaf ? cached : installed).add(u.id);
    }
    if (!a.truncated && a.newUpdates.every((u) => u.isLeaf)) return actions;
  }
  throw new Error('scan did not finish in 50 pages');
}

/** Scans until `check` holds (the client service notices a generation switch within its cache time). */
async function eventually(clientBase: string, check: (a: Map<string, string>) => boolean, what: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const a = await scanActions(clientBase);
    if (check(a)) return a;
    if (Date.now() > deadline) assert.fail(`${what}: scan offered ${JSON.stringify([...a])}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function scenario(driver: Driver): void {
  void test(`[${driver}] sync job, SSE, catalog, quarantine, rollback and pin seen by a scan, selection, roles`, async (t) => {
    const { handle, dir, env: dbEnv } = await openTestDatabase(t, driver);
    const up = await startProductUpstream(t);
    // A revision with a prerequisite the upstream never sends: the sync quarantines it.
    up.catalog.put({
      identity: { updateId: dangling, revisionNumber: 100 },
      text: syntheticDocument(dangling, 100, {
        title: 'SYNTHETIC (test) dangling prerequisite',
        prerequisites: [[cat.detectoid], ['deadbeef-0000-4000-8000-000000000000']],
        categoryClauses: [[cat.product], [cat.securityUpdates]],
      }),
      listed: true,
    });
    const env = { ...dbEnv, ...productEnv(up, dir) };
    const node = await serve(t, env, join(dir, 'node1'));
    const services = createAdminServices(handle);
    const actor = { via: 'cli' as const, name: 'test' };
    const admin = (await services.tokens.create({ name: 'admin-token', role: 'admin' }, actor)).token;
    const reporter = (await services.tokens.create({ name: 'reporter-token', role: 'reporter' }, actor))
      .token;
    const api = async (
      method: string,
      path: string,
      o: { body?: unknown; token?: string; base?: string } = {},
    ) => {
      const res = await fetch(`${o.base ?? node.admin}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${o.token ?? admin}`,
          ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      });
      const text = await res.text();
      return {
        status: res.status,
        type: res.headers.get('content-type') ?? '',
        body: text === '' ? null : JSON.parse(text),
      };
    };

    // A reporter reads but changes nothing.
    const refused = await api('POST', '/api/v1/sync', { token: reporter, body: {} });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'PB_ERR_FORBIDDEN');
    assert.match(refused.type, /application\/problem\+json/);
    assert.equal((await api('GET', '/api/v1/sync/status', { token: reporter })).status, 200);

    // The sync is a job; while it runs a second one is refused naming it.
    up.catalog.faults.delayMs = 150;
    const started = await api('POST', '/api/v1/sync', { body: {} });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = started.body.job;
    assert.equal(job.kind, 'sync');
    assert.ok(['queued', 'running'].includes(job.state));
    const busy = await api('POST', '/api/v1/sync', { body: {} });
    assert.equal(busy.status, 409, JSON.stringify(busy.body));
    assert.equal(busy.body.code, 'PB_ERR_SYNC_BUSY');
    assert.equal(busy.body.context.jobId, job.id);

    const events = await readEvents(`${node.admin}/api/v1/jobs/${job.id}/events`, reporter);
    up.catalog.faults.delayMs = 0;
    assert.ok(
      events.some((e) => e.event === 'progress'),
      JSON.stringify(events),
    );
    const done = events.at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.data.state, 'succeeded', JSON.stringify(done.data));
    assert.equal(done.data.result.outcome, 'partial'); // the quarantined revision
    assert.equal(done.data.result.sync.generationId, 1);
    const polled = await api('GET', `/api/v1/jobs/${job.id}`, { token: reporter });
    assert.equal(polled.body.state, 'succeeded');
    assert.equal(polled.body.progress.phase, 'done');
    assert.equal((await api('GET', `/api/v1/jobs/${randomUUID()}`)).status, 404);

    // What it imported: the catalog, the quarantine with its reason, the history.
    const catalog = await api('GET', '/api/v1/catalog', { token: reporter });
    assert.equal(catalog.body.active.generationId, 1);
    assert.equal(catalog.body.pin, null);
    assert.equal(catalog.body.quarantined, 1);
    const quarantine = await api('GET', '/api/v1/catalog/quarantine', { token: reporter });
    assert.deepEqual(
      quarantine.body.items.map((q: any) => q.updateId),
      [dangling],
    );
    assert.match(quarantine.body.items[0].reasonCode, /./);
    const history = await api('GET', '/api/v1/sync/history?limit=5', { token: reporter });
    assert.equal(history.body.items[0].kind, 'content');
    assert.ok(history.body.items.some((r: any) => r.kind === 'metadata' && r.outcome === 'partial'));

    // A misspelled product names the closest one; nothing changes.
    const typo = await api('PUT', '/api/v1/products', {
      body: { selection: ['SYNTHETIC (test) Patchbay Test Prodcut'] },
    });
    assert.equal(typo.status, 400, JSON.stringify(typo.body));
    assert.equal(typo.body.code, 'PB_ERR_INVALID_PARAMETER');
    assert.equal(typo.body.context.suggestion, 'SYNTHETIC (test) Patchbay Test Product');
    assert.match(typo.body.detail, /did you mean "SYNTHETIC \(test\) Patchbay Test Product"/);
    const products = await api('PUT', '/api/v1/products', {
      body: { selection: ['synthetic (test) patchbay test product'] },
    });
    assert.equal(products.status, 200, JSON.stringify(products.body));
    assert.deepEqual(
      products.body.products.filter((p: any) => p.enabled).map((p: any) => p.id),
      [cat.product],
    );
    assert.equal(
      (await api('PUT', '/api/v1/languages', { token: reporter, body: { selection: ['en'] } })).status,
      403,
    );

    // A second sync adds an update; approved for everyone, the client is offered it.
    publishExpiring(up);
    const second = await api('POST', '/api/v1/sync', { body: { content: false } });
    assert.equal(second.status, 202);
    const secondDone = (await readEvents(`${node.admin}/api/v1/jobs/${second.body.job.id}/events`, admin)).at(
      -1,
    )!;
    assert.equal(secondDone.data.result.sync.generationId, 2, JSON.stringify(secondDone.data));
    const approve = await api('POST', '/api/v1/approvals', {
      body: { updateIds: [cat.expiring], groups: ['All Computers'], action: 'install' },
    });
    assert.equal(approve.status, 200, JSON.stringify(approve.body));
    await eventually(
      node.http!,
      (a) => a.get(cat.expiring) === 'Install',
      'generation 2 offers the approved update',
    );

    // Roll back over the API: the dry run names it, the rollback pins generation 1, a scan no longer sees it.
    const dry = await api('POST', '/api/v1/catalog/rollback', { body: { dryRun: true } });
    assert.deepEqual([dry.body.fromGenerationId, dry.body.toGenerationId], [2, 1]);
    assert.ok(dry.body.removed.some((u: any) => u.updateId === cat.expiring));
    const rolled = await api('POST', '/api/v1/catalog/rollback', { body: {} });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    assert.deepEqual([rolled.body.active.generationId, rolled.body.pinned], [1, true]);
    await eventually(node.http!, (a) => !a.has(cat.expiring), 'the rolled-back generation hides it');
    const pinned = await api('GET', '/api/v1/catalog');
    assert.equal(pinned.body.pin.generationId, 1);
    assert.match(pinned.body.pin.pinnedBy ?? '', /api:admin-token/);

    // Pin generation 2 (serve it again, pinned), then unpin; every change is audited.
    const pin = await api('POST', '/api/v1/catalog/pin', { body: { generation: 2 } });
    assert.equal(pin.status, 200, JSON.stringify(pin.body));
    assert.equal(pin.body.active.generationId, 2);
    await eventually(
      node.http!,
      (a) => a.get(cat.expiring) === 'Install',
      'the pinned generation 2 offers it again',
    );
    assert.equal((await api('POST', '/api/v1/catalog/pin', { body: { generation: 99 } })).status, 404);
    assert.equal((await api('DELETE', '/api/v1/catalog/pin', { token: reporter })).status, 403);
    const unpin = await api('DELETE', '/api/v1/catalog/pin');
    assert.equal(unpin.body.unpinned.generationId, 2);
    const audit = await api('GET', '/api/v1/audit?limit=50');
    const actions = audit.body.items.map((e: any) => e.action);
    for (const a of ['sync.start', 'selection.products', 'catalog.rollback', 'catalog.pin', 'catalog.unpin'])
      assert.ok(actions.includes(a), `${a} audited: ${actions.join(', ')}`);

    // Content and settings.
    const verify = await api('POST', '/api/v1/content/verify', { body: {} });
    assert.equal(verify.status, 202);
    const verified = (await readEvents(`${node.admin}/api/v1/jobs/${verify.body.job.id}/events`, admin)).at(
      -1,
    )!;
    assert.equal(verified.data.state, 'succeeded');
    assert.equal(typeof verified.data.result.checked, 'number');
    const content = await api('GET', '/api/v1/content', { token: reporter });
    assert.equal(content.body.mode, 'approved');
    const patched = await api('PATCH', '/api/v1/settings', {
      body: { ruleSwitches: { declineExpired: false } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.runtime.ruleSwitches.declineExpired, false);
    const notRuntime = await api('PATCH', '/api/v1/settings', { body: { syncsPerDay: 4 } });
    assert.equal(notRuntime.status, 400);
    const status = await api('GET', '/api/v1/status', { token: reporter });
    assert.equal(status.body.catalog.activeGenerationId, 2);
    assert.equal(status.body.quarantinedRevisions, 1);

    if (driver === 'postgres') {
      // A second node on the same database answers for the job the first one ran.
      const other = await serve(t, env, join(dir, 'node2'));
      const read = await api('GET', `/api/v1/jobs/${job.id}`, { base: other.admin, token: reporter });
      assert.equal(read.status, 200);
      assert.deepEqual([read.body.id, read.body.state, read.body.node], [job.id, 'succeeded', job.node]);
      const third = await api('POST', '/api/v1/sync', { body: { content: false } });
      const fromOther = await readEvents(`${other.admin}/api/v1/jobs/${third.body.job.id}/events`, reporter);
      assert.equal(fromOther.at(-1)!.data.state, 'succeeded');
    }
  });
}

for (const driver of adminDrivers())
  void describe(`REST server operations (${driver})`, () => scenario(driver));
