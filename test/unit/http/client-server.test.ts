import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { buildClientServer } from '../../../src/http/index.js';
import { createLogger } from '../../../src/observability/index.js';

const silent = createLogger({
  level: 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

void test('/readyz answers 503 naming the failed check (reason only in the log); /healthz stays 200', async (t) => {
  const config = await loadConfigOrThrow({ env: {} });
  let dbUp = true;
  const app = await buildClientServer({
    config,
    logger: silent,
    readiness: [
      {
        name: 'database',
        check: () => (dbUp ? Promise.resolve() : Promise.reject(new Error('SQLITE_CANTOPEN secret-path'))),
      },
    ],
  });
  t.after(() => app.close());
  assert.equal((await app.inject('/readyz')).statusCode, 200);
  dbUp = false;
  const down = await app.inject('/readyz');
  assert.equal(down.statusCode, 503);
  assert.deepEqual(down.json(), { status: 'unavailable', checks: { database: 'failed' } });
  assert.ok(!down.body.includes('secret-path'));
  assert.equal((await app.inject('/healthz')).statusCode, 200);
});

void test('a hung readiness check is bounded in time', async (t) => {
  const config = await loadConfigOrThrow({ env: {} });
  const app = await buildClientServer({
    config,
    logger: silent,
    readiness: [{ name: 'database', check: () => new Promise<void>(() => undefined) }],
  });
  t.after(() => app.close());
  const started = Date.now();
  const res = await app.inject('/readyz');
  assert.equal(res.statusCode, 503);
  assert.ok(Date.now() - started < 5000);
});

void test('beyond max_concurrent_requests per endpoint: 503 + Retry-After at once; health exempt; slots freed', async (t) => {
  const config = await loadConfigOrThrow({ env: { PATCHBAY_SERVER_MAX_CONCURRENT_REQUESTS: '2' } });
  const app = await buildClientServer({ config, logger: silent, readiness: [] });
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  app.get('/slow', async () => {
    await gate;
    return 'done';
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const addr = app.server.address();
  const base = `http://127.0.0.1:${addr !== null && typeof addr === 'object' ? addr.port : 0}`;

  const held = [fetch(`${base}/slow`), fetch(`${base}/slow`)];
  await new Promise((r) => setTimeout(r, 200));
  const refused = await fetch(`${base}/slow`);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.equal((await fetch(`${base}/healthz`)).status, 200, 'health is never refused');
  release();
  for (const r of await Promise.all(held)) assert.equal(await r.text(), 'done');
  assert.equal((await fetch(`${base}/slow`)).status, 200, 'slots are released after responses');
});
