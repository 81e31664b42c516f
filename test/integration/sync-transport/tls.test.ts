import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { AppError } from '../../../src/errors.js';
import { UpstreamTransport, type UpstreamTlsOptions } from '../../../src/sync/index.js';
import { createTestPki, type TestPki } from '../../helpers/tls.js';
import { SOAP_ACTION, SOAP_OK, SOAP_REQUEST, sendXml, startOrigin, type Origin } from './harness.js';

let pki: TestPki;

async function setup(t: TestContext, host = '127.0.0.1'): Promise<Origin> {
  pki ??= createTestPki();
  return startOrigin(
    t,
    (_req, res) => sendXml(res, 200, SOAP_OK),
    { cert: pki.certPem, key: pki.keyPem },
    host,
  );
}

async function callWith(t: TestContext, origin: Origin, tls: UpstreamTlsOptions, host = '127.0.0.1') {
  const tr = new UpstreamTransport({
    proxy: { mode: 'none' },
    tls,
    retry: { maxAttempts: 3, baseDelayMs: 1 },
  });
  t.after(() => tr.close());
  return tr.postSoap({
    url: `https://${host}:${origin.port}/ServerSyncWebService/ServerSyncWebService.asmx`,
    soapAction: SOAP_ACTION,
    body: SOAP_REQUEST,
    maxResponseBytes: 1 << 20,
  });
}

function tlsError(reason?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, 'PB_ERR_UPSTREAM_TLS', e.message);
    if (reason) assert.match(String(e.detail?.reason), reason);
    return true;
  };
}

test.after(() => pki?.cleanup());

void test('an unknown CA is refused (not retried), and accepted once the CA file is configured', async (t) => {
  const origin = await setup(t);
  await assert.rejects(
    callWith(t, origin, {}),
    tlsError(/UNABLE_TO_(GET_ISSUER_CERT_LOCALLY|VERIFY_LEAF_SIGNATURE)|SELF_SIGNED/),
  );
  assert.equal(origin.received.length, 0);
  const res = await callWith(t, origin, { caFile: pki.caFile });
  assert.equal(res.status, 200);
  assert.equal(origin.received.length, 1);
  // Host name checks stay on: the certificate names localhost and 127.0.0.1 only.
  const other = await setup(t, '127.0.0.2');
  await assert.rejects(callWith(t, other, { caFile: pki.caFile }, '127.0.0.2'), tlsError(/ALTNAME/));
  assert.equal(other.received.length, 0);
});

void test('SPKI pins (leaf or CA) and the certificate fingerprint are accepted; other pins are refused', async (t) => {
  const origin = await setup(t);
  for (const pin of [
    pki.leafSpkiPin,
    pki.caSpkiPin,
    pki.leafCertFingerprint,
    pki.leafCertFingerprint.replace(/:/g, '').toLowerCase(),
  ]) {
    const res = await callWith(t, origin, { caFile: pki.caFile, pins: [pki.otherSpkiPin, pin] });
    assert.equal(res.status, 200, pin);
  }
  const before = origin.received.length;
  await assert.rejects(callWith(t, origin, { caFile: pki.caFile, pins: [pki.otherSpkiPin] }), (e) => {
    tlsError(/pin-mismatch/)(e);
    assert.equal(typeof (e as AppError).detail?.presentedSha256, 'string');
    return true;
  });
  assert.equal(origin.received.length, before, 'no request byte after a pin mismatch');
});

void test('verify=false with a pin trusts exactly that certificate; verify=false with a wrong pin still fails', async (t) => {
  const origin = await setup(t);
  const ok = await callWith(t, origin, { verify: false, pins: [pki.leafSpkiPin] });
  assert.equal(ok.status, 200);
  await assert.rejects(
    callWith(t, origin, { verify: false, pins: [pki.otherSpkiPin] }),
    tlsError(/pin-mismatch/),
  );
  // verify=false without pins accepts anything (documented; the config layer warns about it).
  const any = await callWith(t, origin, { verify: false });
  assert.equal(any.status, 200);
});

void test('malformed pins and unreadable CA files are configuration errors', () => {
  assert.throws(() => new UpstreamTransport({ tls: { pins: ['sha1/abc'] } }), {
    code: 'PB_ERR_CONFIG_INVALID',
  });
  assert.throws(() => new UpstreamTransport({ tls: { pins: ['AB:CD'] } }), { code: 'PB_ERR_CONFIG_INVALID' });
  assert.throws(() => new UpstreamTransport({ tls: { caFile: '/nonexistent/ca.pem' } }), {
    code: 'PB_ERR_CONFIG_INVALID',
  });
});
