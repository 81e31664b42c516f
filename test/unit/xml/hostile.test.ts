/**
 * R4 hostile inputs: each is refused quickly (< 1 s) with a typed AppError, through the reader and through the
 * SOAP request decoder. The 1 GB body is represented by a body just over the limit: the reader refuses by size
 * before decoding, and the HTTP layer enforces the same byte limit before buffering (fastify bodyLimit), so a
 * real 1 GB body is never materialised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, type ErrorCode } from '../../../src/errors.js';
import { parseXml, soapRequestLimits, updateDocumentLimits } from '../../../src/protocol/xml/index.js';
import { decodeSoapRequest } from '../../../src/protocol/soap/index.js';

const soap = (inner: string): string =>
  `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${inner}</s:Body></s:Envelope>`;

function refuses(
  name: string,
  input: string | Uint8Array,
  codes: ErrorCode[],
  limits = soapRequestLimits,
): void {
  for (const run of [
    () => parseXml(input, limits),
    () => decodeSoapRequest({ body: input, contentType: 'text/xml; charset=utf-8', limits }),
  ]) {
    const t0 = performance.now();
    let err: unknown;
    try {
      run();
    } catch (e) {
      err = e;
    }
    const ms = performance.now() - t0;
    assert.ok(err instanceof AppError, `${name}: expected an AppError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `${name}: ${err.code} ${err.message}`);
    assert.ok(ms < 1000, `${name}: took ${ms.toFixed(0)} ms`);
  }
}

void test('entity attacks and XXE are refused as DOCTYPE', () => {
  const laughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
    Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
    ).join('') +
    ']><lolz>&lol9;</lolz>';
  refuses('billion laughs', laughs, ['PB_ERR_XML_DOCTYPE']);
  refuses(
    'quadratic blowup',
    `<!DOCTYPE x [<!ENTITY a "${'a'.repeat(50_000)}">]><x>${'&a;'.repeat(50_000)}</x>`,
    ['PB_ERR_XML_DOCTYPE'],
  );
  refuses('XXE system', '<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>', ['PB_ERR_XML_DOCTYPE']);
  refuses('XXE entity', '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', [
    'PB_ERR_XML_DOCTYPE',
  ]);
  refuses('parameter entities', '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]><x/>', [
    'PB_ERR_XML_DOCTYPE',
  ]);
  refuses('undeclared entity', soap('<a>&xxe;</a>'), ['PB_ERR_XML_MALFORMED']);
});

void test('size, depth, count and length limits', () => {
  refuses('body just over the limit', Buffer.alloc(soapRequestLimits.maxBytes + 1, 0x20), [
    'PB_ERR_XML_LIMIT',
  ]);
  refuses('string just over the limit', ' '.repeat(soapRequestLimits.maxBytes + 1), ['PB_ERR_XML_LIMIT']);
  refuses('10^6 character references (size)', soap(`<a>${'&#65;'.repeat(1_000_000)}</a>`), [
    'PB_ERR_XML_LIMIT',
  ]);
  refuses(
    '10^6 character references (text length, document limits)',
    `<a>${'&#65;'.repeat(1_000_000)}</a>`,
    ['PB_ERR_XML_LIMIT'],
    { ...updateDocumentLimits, maxTextLength: 100_000 },
  );
  refuses('deep nesting 10^5', soap(`${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`), [
    'PB_ERR_XML_LIMIT',
  ]);
  refuses('10^6 elements', soap(`<a>${'<b/>'.repeat(1_000_000)}</a>`), ['PB_ERR_XML_LIMIT']);
  refuses('10^6 elements (document limits)', `<a>${'<b/>'.repeat(1_000_000)}</a>`, ['PB_ERR_XML_LIMIT'], {
    ...updateDocumentLimits,
    maxElements: 200_000,
  });
  refuses('huge attribute', soap(`<a x="${'y'.repeat(1_100_000)}"/>`), ['PB_ERR_XML_LIMIT']);
  refuses('many attributes', soap(`<a ${Array.from({ length: 100 }, (_, i) => `a${i}="1"`).join(' ')}/>`), [
    'PB_ERR_XML_LIMIT',
  ]);
  refuses('huge text repeated', soap(`<a>${'x'.repeat(1_100_000)}</a>`), ['PB_ERR_XML_LIMIT']);
});

void test('encodings and malformed input', () => {
  refuses('invalid UTF-8', Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e, 0x20]), [
    'PB_ERR_XML_MALFORMED',
  ]);
  refuses('NUL byte', soap('<a>\u0000</a>'), ['PB_ERR_XML_MALFORMED']);
  refuses('unbalanced tags', soap('<a><b></a>'), ['PB_ERR_XML_MALFORMED']);
  refuses('truncated', soap('<a>').slice(0, 60), ['PB_ERR_XML_MALFORMED']);
  refuses('unbound prefix', soap('<x:a/>'), ['PB_ERR_XML_MALFORMED']);
  refuses('empty', '', ['PB_ERR_XML_MALFORMED']);
  refuses('lone surrogate', soap('<a>\uD800</a>'), ['PB_ERR_XML_MALFORMED']);
  // UTF-16 with and without BOM decodes to the same envelope
  const body = soap('<Ping xmlns="urn:x">é</Ping>');
  const le = Buffer.from(body, 'utf16le');
  for (const b of [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), le]) {
    const req = decodeSoapRequest({ body: b, contentType: 'text/xml; charset=utf-16' });
    assert.equal(req.payload.local, 'Ping');
    assert.equal(req.payload.uri, 'urn:x');
  }
  refuses('odd-length UTF-16', Buffer.concat([Buffer.from([0xff, 0xfe]), le, Buffer.from([0x3c])]), [
    'PB_ERR_XML_MALFORMED',
  ]);
});

void test('prefix games: elements match by namespace URI, never by prefix', () => {
  // soap prefix bound to a foreign namespace: not an envelope
  assert.throws(
    () =>
      decodeSoapRequest({
        body: '<s:Envelope xmlns:s="urn:evil"><s:Body><a/></s:Body></s:Envelope>',
        contentType: 'text/xml',
      }),
    (e: unknown) => e instanceof AppError && e.code === 'PB_ERR_SOAP_VERSION_MISMATCH',
  );
  const root = parseXml('<a xmlns="urn:1" xmlns:p="urn:2"><p:b/><b/><c xmlns="urn:2"><b/></c></a>');
  const bs = root.children.filter((c) => c.kind === 'element');
  assert.deepEqual(
    bs.map((b) => (b.kind === 'element' ? `${b.uri} ${b.local}` : '')),
    ['urn:2 b', 'urn:1 b', 'urn:2 c'],
  );
});
