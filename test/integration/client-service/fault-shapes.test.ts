/**
 * Each endpoint answers a fault in the shape WS2025 gives for that endpoint (issue 10 item 8), over real HTTP:
 * - the client web service (WCF-style): no faultactor and no namespace declarations on `s:Body`, so the
 *   401-id SyncUpdates fault has exactly the size the wsus-m0 manifest records for exchange 000141;
 * - the ASMX services (SimpleAuth, Reporting; ServerSync in the captures): `faultactor` names the endpoint URL,
 *   byte-equal to wsus-m0-wsusss/exchanges/000019 after the normalization below.
 *
 * Normalization: the values that differ by call are replaced by tokens on both sides: the fault `ID` (a fresh
 * GUID), the faultactor URL (host and endpoint), `faultcode`, `ErrorCode`, `Message` and `Method`. What stays
 * compared byte for byte is the envelope: declarations, prefixes, element order and the fixed texts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSoapFault } from '../../../src/protocol/soap/index.js';
import { readFixture } from '../../helpers/fixtures.js';
import { startHarness } from './harness.js';
import {
  clientNs,
  clientPath,
  envelope,
  reportingNs,
  reportingPath,
  simpleAuthNs,
  simpleAuthPath,
} from './wusp-client.js';

const normalize = (s: string): string =>
  s.replace(
    /<(ID|faultactor|faultcode|ErrorCode|Message|Method)>[^<]*<\/\1>/g,
    (_m, name: string) => `<${name}>*</${name}>`,
  );

void test('ASMX endpoints name themselves in faultactor; the client web service fault has neither actor nor s:Body declarations', async (t) => {
  const h = await startHarness(t, 'sqlite');
  const real = readFixture('wsus', 'wsus-m0-wsusss', 'exchanges', '000019', 'response.body').toString();
  for (const [path, ns, op] of [
    [simpleAuthPath, simpleAuthNs, 'GetAuthorizationCookie'],
    [reportingPath, reportingNs, 'ReportEventBatch'],
  ] as const) {
    const r = await h.post(path, envelope(op, ns, '<garbage/>'), { soapaction: `"${ns}/${op}"` });
    assert.equal(r.status, 500, r.body);
    assert.equal(decodeSoapFault(r.body)?.actor, `${h.baseUrl}${path}`, r.body);
    assert.equal(normalize(r.body), normalize(real), path);
  }
  const r = await h.post(clientPath, envelope('GetCookie', clientNs, '<garbage/>'), {
    soapaction: `"${clientNs}/GetCookie"`,
  });
  assert.equal(r.status, 500, r.body);
  assert.equal(decodeSoapFault(r.body)?.actor, undefined, r.body);
  assert.ok(!r.body.includes('faultactor'), r.body);
  assert.match(r.body, /^<s:Envelope xmlns:s="[^"]+"><s:Body><s:Fault><faultcode>s:Client<\/faultcode>/);
});
