import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors.js';
import { invalidParameter } from '../../../src/protocol/xml/index.js';
import {
  decodeSoapFault,
  encodeSoapFault,
  faultFromError,
  wsusNamespaces,
} from '../../../src/protocol/soap/index.js';
import { soapExchanges } from './support.js';
import { readFixture } from '../../helpers/fixtures.js';

/**
 * Normalization for comparing our faults with the captures: the fault ID (a fresh GUID per fault) is replaced
 * by a fixed token on both sides. The faultactor host is passed in as WS2025 wrote it (127.0.0.1:8530), so
 * it needs no normalization.
 */
const normalize = (s: string): string => s.replace(/<ID>[0-9a-f-]{36}<\/ID>/, '<ID>GUID</ID>');

const syncActor = 'http://127.0.0.1:8530/ServerSyncWebService/ServerSyncWebService.asmx';
const realFaults = soapExchanges().filter((x) => x.status === 500);

void test('the captured faults decode: code, string, actor, ErrorCode, Message, ID, Method', () => {
  assert.equal(realFaults.length, 2);
  const byCode = new Map(realFaults.map((x) => [decodeSoapFault(x.responseBody)!.errorCode, x]));
  const invalidCookie = decodeSoapFault(byCode.get('InvalidCookie')!.responseBody)!;
  assert.deepEqual(invalidCookie, {
    version: '1.1',
    faultcode: 'soap:Client',
    code: 'Client',
    faultstring: 'Fault occurred',
    actor: syncActor,
    errorCode: 'InvalidCookie',
    message: '',
    id: '6ea693bc-a66e-4334-a797-043728561c7d',
    method: `${wsusNamespaces.softwareDistribution}/GetRevisionIdList`,
  });
  const internal = decodeSoapFault(byCode.get('InternalServerError')!.responseBody)!;
  assert.equal(internal.faultcode, 'soap:Server');
  assert.equal(internal.code, 'Server');
  assert.equal(internal.method, `${wsusNamespaces.softwareDistribution}/GetUpdateData`);
  // a success response is not a fault
  const ok = soapExchanges().find((x) => x.status === 200)!;
  assert.equal(decodeSoapFault(ok.responseBody), undefined);
});

void test('our faults equal the captured WS2025 faults byte for byte (after the ID normalization)', () => {
  const cases: { op: string; error: AppError }[] = [
    { op: 'GetRevisionIdList', error: new AppError('PB_ERR_COOKIE_INVALID', 'cookie MAC mismatch') },
    { op: 'GetUpdateData', error: new AppError('PB_ERR_INTERNAL', 'secret internal detail /srv/db') },
  ];
  for (const c of cases) {
    const real = realFaults.find((x) => x.responseBody.toString('utf8').includes(`/${c.op}"`))!;
    const fault = faultFromError(c.error, {
      method: `${wsusNamespaces.softwareDistribution}/${c.op}`,
      actor: syncActor,
    });
    const res = encodeSoapFault(fault, { version: '1.1', style: 'asmx' });
    assert.equal(normalize(res.body), normalize(real.responseBody.toString('utf8')));
    assert.equal(res.status, real.status);
    assert.equal(res.headers['content-type'], real.responseHeaders.get('content-type'));
    assert.equal(res.headers['connection'], real.responseHeaders.get('connection')?.toLowerCase());
    assert.ok(!res.body.includes('secret') && !res.body.includes('MAC'));
  }
});

/** The sanitize manifest's record of a wsus-m0 exchange file that the recorder did not publish. */
function manifestEntry(exchange: string, file: string): { original_size: number; original_sha256: string } {
  const manifest = JSON.parse(readFixture('wsus', 'wsus-m0', 'sanitize-manifest.json').toString()) as {
    exchanges: {
      exchange: string;
      files: Record<string, { original_size: number; original_sha256: string }>;
    }[];
  };
  const entry = manifest.exchanges.find((x) => x.exchange === exchange)?.files[file];
  assert.ok(entry, `${exchange}/${file} in the manifest`);
  return entry;
}

void test('client-service fault shape (docs/protocol/client.md §1.8): s: prefix, no faultactor, bare s:Body, as WS2025 000141', () => {
  const method = `${wsusNamespaces.clientWebService}/SyncUpdates`;
  // The route passes the endpoint URL; the client style must still not write it (WS2025 does not).
  const f = faultFromError(invalidParameter('parameters.InstalledNonLeafUpdateIDs', 'more than 400 items'), {
    method,
    id: '00000000-0000-0000-0000-000000000001',
    actor: 'http://127.0.0.1:8530/ClientWebService/client.asmx',
  });
  const res = encodeSoapFault(f, { version: '1.1', style: 'client' });
  // wsus-m0 exchange 000141 is this very fault (401 installed non-leaf ids, HTTP 500). Its body was not
  // published, but the manifest records its size: only the faultactor-free, declaration-free shape has it
  // (a faultactor would add 75 bytes, the s:Body declarations 104).
  const real = manifestEntry('000141', 'response.body');
  assert.equal(Buffer.byteLength(res.body), real.original_size);
  assert.equal(
    res.body,
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' +
      '<s:Fault><faultcode>s:Client</faultcode><faultstring>Fault occurred</faultstring><detail>' +
      '<ErrorCode>InvalidParameters</ErrorCode><Message>parameters.InstalledNonLeafUpdateIDs</Message>' +
      '<ID>00000000-0000-0000-0000-000000000001</ID>' +
      `<Method>"${method}"</Method></detail></s:Fault></s:Body></s:Envelope>`,
  );
  const back = decodeSoapFault(res.body)!;
  assert.equal(back.message, 'parameters.InstalledNonLeafUpdateIDs');
  assert.equal(back.method, method);
  assert.equal(back.actor, undefined);
});

void test('error mapping: catalogue ErrorCode, Server for >= 500, no leak for non-AppErrors, fresh IDs', () => {
  const a = faultFromError(new Error('stack trace with /etc/secret'));
  assert.equal(a.code, 'Server');
  assert.equal(a.errorCode, 'InternalServerError');
  assert.equal(a.message, '');
  assert.notEqual(a.id, faultFromError(new Error('x')).id);
  assert.match(a.id, /^[0-9a-f-]{36}$/);
  assert.equal(faultFromError(new AppError('PB_ERR_COOKIE_EXPIRED', 'x')).errorCode, 'CookieExpired');
  assert.equal(faultFromError(new AppError('PB_ERR_UPSTREAM_UNAVAILABLE', 'x')).code, 'Server');
  assert.equal(faultFromError(new AppError('PB_ERR_SOAP_MUST_UNDERSTAND', 'x')).code, 'MustUnderstand');
  assert.equal(
    faultFromError(new AppError('PB_ERR_INVALID_PARAMETER', 'x', { detail: { faultMessage: 'a|b' } }))
      .message,
    'a|b',
  );
});

void test('SOAP 1.2 faults: Code/Value Sender|Receiver, Reason/Text, Node, unqualified Detail children', () => {
  const f = faultFromError(new AppError('PB_ERR_COOKIE_INVALID', 'x'), {
    method: 'urn:op',
    actor: 'http://h/x.asmx',
    id: '11111111-1111-1111-1111-111111111111',
  });
  const res = encodeSoapFault(f, { version: '1.2', style: 'asmx' });
  assert.equal(res.status, 500);
  assert.equal(res.contentType, 'application/soap+xml; charset=utf-8');
  assert.match(res.body, /<soap:Code><soap:Value>soap:Sender<\/soap:Value><\/soap:Code>/);
  assert.match(res.body, /<soap:Detail><ErrorCode>InvalidCookie<\/ErrorCode><Message><\/Message><ID>1{8}-/);
  const back = decodeSoapFault(res.body)!;
  assert.deepEqual(
    [back.version, back.code, back.faultstring, back.actor, back.errorCode, back.method],
    ['1.2', 'Client', 'Fault occurred', 'http://h/x.asmx', 'InvalidCookie', 'urn:op'],
  );
  const server = decodeSoapFault(
    encodeSoapFault(faultFromError(new Error('x')), { version: '1.2', style: 'client' }).body,
  )!;
  assert.equal(server.faultcode, 's:Receiver');
  assert.equal(server.code, 'Server');
});
