/**
 * An upstream shedding load answers ServerBusy (WSUS's "try later"; a Patchbay upstream does it while its event
 * loop lags). The DSS client tries the call again after a growing delay instead of failing the whole run on
 * one busy moment, during authentication and during GetUpdateData, and gives up with the typed fault after
 * its bound. No storage involved: the client against the catalog-mode fake over loopback HTTP.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServerSyncClient } from '../../../src/sync/index.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog } from '../../helpers/fake-upstream/real-catalog.js';
import { testTransport } from './harness.js';

void test('ServerBusy is tried again after a delay (GetCookie, GetUpdateData), then fails typed past the bound', async (t) => {
  const catalog = buildRealCatalog();
  const up = await startCatalogUpstream({ entries: catalog.entries });
  t.after(() => up.close());
  const client = new ServerSyncClient({
    transport: testTransport(t),
    url: up.serverSyncUrl,
    busyRetries: 3,
    busyDelayMs: 5,
  });
  const id = catalog.entries[0]!.identity;
  const count = (op: string) => up.requests.filter((r) => r.op === op).length;

  up.faults.serverBusyOp = 'GetCookie';
  up.faults.serverBusy = 2;
  await client.authenticate();
  assert.equal(count('GetCookie'), 3, 'two busy answers, then the cookie');

  up.faults.serverBusyOp = 'GetUpdateData';
  up.faults.serverBusy = 3;
  const r = await client.getUpdateData([id]);
  assert.equal(r.updates.length, 1);
  assert.equal(count('GetUpdateData'), 4, 'three busy answers, then the data');

  up.faults.serverBusy = 4;
  await assert.rejects(
    client.getUpdateData([id]),
    (e: Error & { code?: string; detail?: { errorCode?: string } }) =>
      e.code === 'PB_ERR_UPSTREAM_FAULT' && e.detail?.errorCode === 'ServerBusy',
  );
  assert.equal(count('GetUpdateData'), 8, 'the first try and 3 more, then the fault');
});
