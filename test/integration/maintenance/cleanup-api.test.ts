/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- API answers are untyped JSON; the assertions check their shape. */
/**
 * `POST /api/v1/cleanup` on both databases: admin role only (the role matrix is in admin-api.test.ts), a dry run
 * changes nothing and answers what a run then does, `only` runs the named steps in cleanup order, an unknown
 * step is a 400 with a suggestion, and a held lease (a synchronization running) is a 409 that changes nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { stopAdminPostgres, adminDrivers } from '../../helpers/admin-db.js';
import { createRepositories } from '../../../src/storage/index.js';
import { startApi } from '../admin/harness.js';

function assertProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): any },
  status: number,
  code: string,
): void {
  assert.equal(res.statusCode, status, JSON.stringify(res.json()));
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.json().code, code);
}

after(stopAdminPostgres);

for (const driver of adminDrivers())
  void describe(`POST /api/v1/cleanup (${driver})`, () => {
    void test('dry run, only, unknown step, busy lease', async (t) => {
      const h = await startApi(t, driver);
      const before = await h.fingerprint();
      const dry = await h.call('POST', '/api/v1/cleanup', { body: { dryRun: true } });
      assert.equal(dry.statusCode, 200, dry.body);
      assert.equal(dry.json().dryRun, true);
      assert.deepEqual(
        dry.json().steps.map((s: any) => s.step),
        ['revisions', 'declines', 'files', 'computers', 'events', 'generations', 'database'],
      );
      assert.deepEqual(await h.fingerprint(), before, 'a dry run changes nothing');

      const only = await h.call('POST', '/api/v1/cleanup', { body: { only: ['generations', 'revisions'] } });
      assert.equal(only.statusCode, 200, only.body);
      assert.deepEqual(
        only.json().steps.map((s: any) => s.step),
        ['revisions', 'generations'],
      );
      assert.ok(only.json().after, 'a real run reports the sizes after it');

      const bad = await h.call('POST', '/api/v1/cleanup', { body: { only: ['revison'] } });
      assertProblem(bad, 400, 'PB_ERR_INVALID_PARAMETER');
      assert.match(bad.body, /did you mean \\"revisions\\"/);

      const repos = createRepositories(h.db.handle);
      await repos.jobLeases.acquire('sync', 'other-host:1#1', 60_000);
      const busy = await h.call('POST', '/api/v1/cleanup', { body: {} });
      assertProblem(busy, 409, 'PB_ERR_SYNC_BUSY');
      assert.equal(await repos.jobLeases.get('cleanup'), undefined, 'the cleanup lease was released');
    });
  });
