import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigOrThrow } from '../../../src/config/index.js';
import { UpstreamTransport, transportOptionsFromConfig } from '../../../src/sync/index.js';
import { proxySkipReason, startTinyproxy } from '../../helpers/proxy.js';
import { createTestPki } from '../../helpers/tls.js';
import { SOAP_ACTION, SOAP_OK, SOAP_REQUEST, sendXml, startOrigin } from './harness.js';

const skip = proxySkipReason();

void test('config [upstream] maps onto transport options: timeouts, retries, pins, verify, proxy credentials', async () => {
  const config = await loadConfigOrThrow({
    env: {
      PATCHBAY_UPSTREAM_CONNECT_TIMEOUT_SECONDS: '7',
      PATCHBAY_UPSTREAM_REQUEST_TIMEOUT_SECONDS: '90',
      PATCHBAY_UPSTREAM_RETRIES: '2',
      PATCHBAY_UPSTREAM_TLS_VERIFY: 'false',
      PATCHBAY_UPSTREAM_PINNED_SHA256: 'AA'.repeat(32),
      PATCHBAY_UPSTREAM_PROXY_URL: 'http://proxy.example.test:3128',
      PATCHBAY_UPSTREAM_PROXY_USERNAME: 'bob',
      PATCHBAY_UPSTREAM_PROXY_PASSWORD: 'hunter2',
    },
  });
  const o = transportOptionsFromConfig(config, { env: { NO_PROXY: '.corp.test' } });
  assert.deepEqual(o.timeouts, {
    connectMs: 7000,
    headersMs: 90_000,
    bodyIdleMs: 90_000,
    minRate: { bytes: 16 * 1024, windowMs: 60_000 },
  });
  // A short no-progress time also shortens the minimum-rate window (a slow drip is no progress).
  const short = transportOptionsFromConfig(
    await loadConfigOrThrow({ env: { PATCHBAY_UPSTREAM_REQUEST_TIMEOUT_SECONDS: '5' } }),
  );
  assert.deepEqual(short.timeouts?.minRate, { bytes: 16 * 1024, windowMs: 5_000 });
  assert.deepEqual(o.retry, { maxAttempts: 3 });
  assert.deepEqual(o.tls, { verify: false, pins: ['aa'.repeat(32)] });
  assert.equal(o.proxy?.mode, 'explicit');
  assert.ok(o.proxy?.mode === 'explicit');
  assert.equal(new URL(o.proxy.url).host, 'proxy.example.test:3128');
  assert.equal(o.proxy.username, 'bob');
  assert.equal(o.proxy.password, 'hunter2');
  assert.equal(o.proxy.noProxy, '.corp.test');
  // The defaults point at Microsoft Update with verification on and no proxy.
  const defaults = transportOptionsFromConfig(await loadConfigOrThrow({ env: {} }), { env: {} });
  assert.deepEqual(defaults.proxy, { mode: 'none' });
  assert.deepEqual(defaults.tls, { verify: true, pins: [] });
});

void test(
  'a config-built transport reaches a pinned https upstream through the proxy from HTTPS_PROXY',
  { skip },
  async (t) => {
    const pki = createTestPki();
    t.after(() => pki.cleanup());
    const origin = await startOrigin(t, (_req, res) => sendXml(res, 200, SOAP_OK), {
      cert: pki.certPem,
      key: pki.keyPem,
    });
    const proxy = await startTinyproxy();
    t.after(() => proxy.stop());
    const env = {
      PATCHBAY_UPSTREAM_URL: `${origin.url}/ServerSyncWebService/ServerSyncWebService.asmx`,
      PATCHBAY_UPSTREAM_TLS_VERIFY: 'false',
      PATCHBAY_UPSTREAM_PINNED_SHA256: pki.leafCertFingerprint,
      HTTPS_PROXY: proxy.url,
    };
    const config = await loadConfigOrThrow({ env });
    const tr = new UpstreamTransport(transportOptionsFromConfig(config, { env }));
    t.after(() => tr.close());
    const res = await tr.postSoap({
      url: config.upstream.url,
      soapAction: SOAP_ACTION,
      body: SOAP_REQUEST,
      maxResponseBytes: 1 << 20,
    });
    assert.equal(res.status, 200);
    assert.match(proxy.log(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${origin.port}`));
  },
);
