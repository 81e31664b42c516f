/**
 * End-to-end sync through a real HTTP proxy on loopback (tinyproxy, test/helpers/proxy.ts, with Basic auth):
 * the catalog-mode upstream is reached only through the proxy, the catalog activates, and the proxy's log shows
 * it carried the ServerSync and DssAuth calls.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runSync } from '../../../src/sync/index.js';
import { startCatalogUpstream } from '../../helpers/fake-upstream/catalog-upstream.js';
import { buildRealCatalog, ids } from '../../helpers/fake-upstream/real-catalog.js';
import { proxySkipReason, startTinyproxy } from '../../helpers/proxy.js';
import { activeMembers, checkIntegrity, openTestDb, testTransport } from './harness.js';

const skip = proxySkipReason();

void describe('sync through an HTTP proxy', { skip }, () => {
  void test('a full catalog sync through tinyproxy with credentials', async (t) => {
    const proxy = await startTinyproxy({ basicAuth: { user: 'pb', password: 's3cret' } });
    t.after(() => proxy.stop());
    const catalog = buildRealCatalog();
    const up = await startCatalogUpstream({ entries: catalog.entries });
    t.after(() => up.close());
    const db = await openTestDb(t, 'sqlite');
    const transport = testTransport(t, {
      proxy: { mode: 'explicit', url: proxy.url, username: 'pb', password: 's3cret' },
    });
    const r = await runSync({ db, transport }, { upstreamUrl: up.serverSyncUrl, nodeId: 'p' });
    assert.equal(r.outcome, 'succeeded');
    const expected = [...catalog.real, ...catalog.synthetic].filter(
      (i) => i.updateId !== ids.productOnlyLeaf,
    );
    assert.equal((await activeMembers(db)).size, expected.length);
    const log = proxy.log();
    assert.match(log, /ServerSyncWebService\/ServerSyncWebService\.asmx/);
    assert.match(log, /DssAuthWebService\/DssAuthWebService\.asmx/);
    assert.ok(
      up.requests.every((q) => String(q.headers.via ?? '').includes('patchbay-test-proxy')),
      'every call went through the proxy',
    );
    await checkIntegrity(db);
  });
});
