import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors.js';
import {
  decodeSoapEnvelope,
  decodeSoapRequest,
  encodeSoapResponse,
  parseSoapContentType,
  SoapOperationRegistry,
  soap12EnvelopeNs,
  wsusNamespaces,
} from '../../../src/protocol/soap/index.js';
import { soapExchanges } from './support.js';

const serviceNamespaces = new Set<string>(Object.values(wsusNamespaces));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AppError, `not an AppError: ${String(e)}`);
    return e.code;
  }
  assert.fail('did not throw');
}

void test('every real request decodes: service namespace, operation = SOAPAction, dispatch agrees', () => {
  const exchanges = soapExchanges();
  assert.ok(exchanges.length >= 37, `${exchanges.length} exchanges`);
  for (const x of exchanges) {
    const action = x.requestHeaders.get('soapaction');
    const req = decodeSoapRequest({
      body: x.requestBody,
      contentType: x.requestHeaders.get('content-type'),
      soapAction: action,
    });
    assert.equal(req.version, '1.1');
    assert.ok(serviceNamespaces.has(req.payload.uri), `${x.dir}: ${req.payload.uri}`);
    assert.equal(req.action, `${req.payload.uri}/${req.payload.local}`, x.dir);
    const registry = new SoapOperationRegistry<string>().register(req.payload.uri, req.payload.local, 'h');
    assert.equal(registry.resolve(req).handler, 'h');
  }
});

void test('every real response decodes to a <Op>Response element or a Fault', () => {
  for (const x of soapExchanges()) {
    const env = decodeSoapEnvelope(x.responseBody);
    if (x.status === 500) assert.equal(env.payload.local, 'Fault', x.dir);
    else {
      assert.ok(env.payload.local.endsWith('Response'), `${x.dir}: ${env.payload.local}`);
      assert.ok(serviceNamespaces.has(env.payload.uri), x.dir);
    }
  }
});

void test('response envelopes are written the way WS2025 writes them (byte-exact against captures)', () => {
  const x = soapExchanges().find((e) => e.dir.endsWith('wsus-m0-native/scan/000004'))!;
  const client = encodeSoapResponse(
    `<RegisterComputerResponse xmlns="${wsusNamespaces.clientWebService}"/>`,
    { version: '1.1', style: 'client' },
  );
  assert.equal(client.body, x.responseBody.toString('utf8'));
  assert.equal(client.headers['content-type'], 'text/xml; charset=utf-8');
  const r = soapExchanges().find((e) => e.dir.endsWith('wsus-m0-native/flow/000016'))!;
  const asmx = encodeSoapResponse(
    `<ReportEventBatchResponse xmlns="${wsusNamespaces.softwareDistribution}"><ReportEventBatchResult>true</ReportEventBatchResult></ReportEventBatchResponse>`,
    { version: '1.1', style: 'asmx' },
  );
  assert.equal(asmx.body, r.responseBody.toString('utf8'));
  const v12 = encodeSoapResponse('<X xmlns="urn:x"/>', { version: '1.2', style: 'asmx' });
  assert.equal(v12.contentType, 'application/soap+xml; charset=utf-8');
  assert.equal(decodeSoapEnvelope(v12.body).version, '1.2');
});

const ns = wsusNamespaces.softwareDistribution;
const body12 = `<?xml version="1.0" encoding="utf-8"?><soap12:Envelope xmlns:soap12="${soap12EnvelopeNs}"><soap12:Body><GetAuthConfig xmlns="${ns}"/></soap12:Body></soap12:Envelope>`;

void test('SOAP 1.2: version by namespace, action from the Content-Type parameter, dispatch', () => {
  const req = decodeSoapRequest({
    body: body12,
    contentType: `application/soap+xml; charset=utf-8; action="${ns}/GetAuthConfig"`,
    soapAction: '"ignored for 1.2"',
  });
  assert.equal(req.version, '1.2');
  assert.equal(req.action, `${ns}/GetAuthConfig`);
  const reg = new SoapOperationRegistry<number>().register(ns, 'GetAuthConfig', 1);
  assert.equal(reg.resolve(req).name, 'GetAuthConfig');
  const noAction = decodeSoapRequest({ body: body12, contentType: 'application/soap+xml' });
  assert.equal(noAction.action, undefined);
  assert.equal(reg.resolve(noAction).handler, 1);
  // 1.2 envelope with the 1.1 content type (and the reverse) is a VersionMismatch
  assert.equal(
    code(() => decodeSoapRequest({ body: body12, contentType: 'text/xml' })),
    'PB_ERR_SOAP_VERSION_MISMATCH',
  );
});

void test('content types and SOAPAction forms', () => {
  assert.deepEqual(parseSoapContentType('text/xml; charset=utf-8'), {
    version: '1.1',
    charset: 'utf-8',
    action: undefined,
  });
  assert.deepEqual(parseSoapContentType('Text/XML;charset="UTF-16"'), {
    version: '1.1',
    charset: 'utf-16',
    action: undefined,
  });
  assert.equal(parseSoapContentType('application/soap+xml;action="urn:a;b";charset=utf-8').action, 'urn:a;b');
  assert.equal(
    code(() => parseSoapContentType(undefined)),
    'PB_ERR_SOAP_CONTENT_TYPE',
  );
  assert.equal(
    code(() => parseSoapContentType('application/json')),
    'PB_ERR_SOAP_CONTENT_TYPE',
  );
  assert.equal(
    code(() => parseSoapContentType('text/xml; charset=iso-8859-1')),
    'PB_ERR_SOAP_CONTENT_TYPE',
  );
  const body = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Ping xmlns="${ns}"/></s:Body></s:Envelope>`;
  const reg = new SoapOperationRegistry<number>().register(ns, 'Ping', 1);
  for (const h of [`"${ns}/Ping"`, `${ns}/Ping`, '""', undefined])
    assert.equal(reg.resolve(decodeSoapRequest({ body, contentType: 'text/xml', soapAction: h })).handler, 1);
  assert.equal(
    code(() =>
      reg.resolve(decodeSoapRequest({ body, contentType: 'text/xml', soapAction: `"${ns}/GetCookie"` })),
    ),
    'PB_ERR_SOAP_ACTION_MISMATCH',
  );
});

void test('envelope errors: not an envelope, no/empty/double Body, unknown operation, mustUnderstand', () => {
  const env = (inner: string, header = ''): string =>
    `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">${header}${inner}</s:Envelope>`;
  const d = (b: string): unknown => decodeSoapRequest({ body: b, contentType: 'text/xml' });
  assert.equal(
    code(() => d('<Foo/>')),
    'PB_ERR_SOAP_ENVELOPE',
  );
  assert.equal(
    code(() => d('<Envelope/>')),
    'PB_ERR_SOAP_VERSION_MISMATCH',
  );
  assert.equal(
    code(() => d('<Envelope xmlns="urn:other"/>')),
    'PB_ERR_SOAP_VERSION_MISMATCH',
  );
  assert.equal(
    code(() => d(env(''))),
    'PB_ERR_SOAP_ENVELOPE',
  );
  assert.equal(
    code(() => d(env('<s:Body> </s:Body>'))),
    'PB_ERR_SOAP_ENVELOPE',
  );
  assert.equal(
    code(() => d(env('<s:Body><a/><b/></s:Body>'))),
    'PB_ERR_SOAP_ENVELOPE',
  );
  assert.equal(
    code(() => d(env('<s:Body><a/></s:Body><s:Body><a/></s:Body>'))),
    'PB_ERR_SOAP_ENVELOPE',
  );
  // a mandatory header for us is a MustUnderstand fault; optional ones and ones for other actors are ignored
  const mu = '<s:Header><h:Sec xmlns:h="urn:h" s:mustUnderstand="1"/></s:Header>';
  assert.equal(
    code(() => d(env('<s:Body><a/></s:Body>', mu))),
    'PB_ERR_SOAP_MUST_UNDERSTAND',
  );
  const other =
    '<s:Header><h:Sec xmlns:h="urn:h" s:mustUnderstand="1" s:actor="urn:someone-else"/><h:X xmlns:h="urn:h" s:mustUnderstand="0"/></s:Header>';
  assert.equal(
    decodeSoapRequest({ body: env('<s:Body><a/></s:Body>', other), contentType: 'text/xml' }).headers.length,
    2,
  );
  // prefix games: the right local name in another namespace is not the operation
  const reg = new SoapOperationRegistry<number>().register(ns, 'Ping', 1);
  const wrongNs = decodeSoapRequest({
    body: env('<s:Body><x:Ping xmlns:x="urn:evil"/></s:Body>'),
    contentType: 'text/xml',
  });
  assert.equal(
    code(() => reg.resolve(wrongNs)),
    'PB_ERR_SOAP_UNKNOWN_OPERATION',
  );
  // a Body in another namespace under the soap prefix name is not the Body
  assert.equal(
    code(() =>
      d(
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><b:Body xmlns:b="urn:evil"><a/></b:Body></s:Envelope>',
      ),
    ),
    'PB_ERR_SOAP_ENVELOPE',
  );
  // the same prefix rebound to the envelope namespace is fine (prefixes never matter)
  const rebound = decodeSoapRequest({
    body: `<x:Envelope xmlns:x="http://schemas.xmlsoap.org/soap/envelope/"><x:Body><Ping xmlns="${ns}"/></x:Body></x:Envelope>`,
    contentType: 'text/xml',
  });
  assert.equal(reg.resolve(rebound).handler, 1);
});
