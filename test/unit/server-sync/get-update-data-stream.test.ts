/**
 * Differential tests of the streaming GetUpdateData reader (get-update-data-stream.ts) against the tree path
 * (`decodeGetUpdateDataResult(decodeServerSyncResponse(...))`) on the REAL answers in wsus-m0-wsusss/exchanges
 * and on mutations of them: same result, or the same error, and the streaming path must actually take the
 * usual answers (else these tests would compare the tree path with itself).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../../../src/errors.js';
import {
  decodeGetUpdateDataResponse,
  decodeGetUpdateDataResult,
  decodeServerSyncResponse,
  defaultServerSyncLimits,
  encodeGetUpdateDataResponse,
  encodeUpdateBlob,
  serverSyncNs,
  type ServerSyncLimits,
} from '../../../src/protocol/server-sync/index.js';
import { streamGetUpdateDataResponse } from '../../../src/protocol/server-sync/get-update-data-stream.js';
import { encodeSoapResponse } from '../../../src/protocol/soap/index.js';
import { readFixture } from '../../helpers/fixtures.js';

const body = (n: string) =>
  readFixture('wsus', 'wsus-m0-wsusss', 'exchanges', n, 'response.body').toString('utf8');
const updateDataAnswers = ['000013', '000015', '000016'];

function viaTree(b: string | Uint8Array, limits: ServerSyncLimits) {
  return decodeGetUpdateDataResult(
    decodeServerSyncResponse(b, serverSyncNs, 'GetUpdateData', limits),
    limits,
  );
}

function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (e) {
    assert.ok(isAppError(e), `non-AppError ${String(e)}`);
    return { code: e.code, message: e.message, detail: e.detail };
  }
}

/** Same outcome as the tree path; returns whether the streaming reader decided by itself (result or error). */
function same(b: string | Uint8Array, limits: ServerSyncLimits = defaultServerSyncLimits): boolean {
  assert.deepEqual(
    outcome(() => decodeGetUpdateDataResponse(b, limits)),
    outcome(() => viaTree(b, limits)),
  );
  return streamGetUpdateDataResponseSafe(b, limits) !== undefined;
}

function streamGetUpdateDataResponseSafe(b: string | Uint8Array, limits: ServerSyncLimits) {
  try {
    return streamGetUpdateDataResponse(b, limits);
  } catch {
    return 'error';
  }
}

void test('real GetUpdateData answers: streaming equals the tree path and takes them', () => {
  for (const n of updateDataAnswers) {
    const b = readFixture('wsus', 'wsus-m0-wsusss', 'exchanges', n, 'response.body');
    assert.ok(same(b), `${n} (bytes) handled by the streaming reader`);
    assert.ok(same(b.toString('utf8')), `${n} (text) handled by the streaming reader`);
    assert.ok(viaTree(b, defaultServerSyncLimits).updates.length === 1);
  }
});

void test('real faults and other answers fall back to the tree path with the same error', () => {
  for (const n of ['000017', '000019', '000001', '000009']) {
    const b = readFixture('wsus', 'wsus-m0-wsusss', 'exchanges', n, 'response.body');
    assert.equal(streamGetUpdateDataResponseSafe(b, defaultServerSyncLimits), undefined, n);
    same(b);
  }
});

void test('mutations of real answers: same result or error as the tree path', () => {
  const plain = body('000015');
  const compressed = body('000016');
  const mutations: [string, string, boolean][] = [
    // [name, body, streaming reader expected to take it]
    ['whitespace between elements', plain.replace(/<\/Id>/, '</Id>\n  '), true],
    ['CRLF and char refs in the blob', plain.replace('&lt;', '&#60;').replace('&gt;', '&gt;\r\n'), true],
    ['bad revision number', plain.replace(/<RevisionNumber>\d+/, '<RevisionNumber>x'), true],
    ['missing Id', plain.replace(/<Id>.*?<\/Id>/s, ''), true],
    ['missing UpdateID', plain.replace(/<UpdateID>.*?<\/UpdateID>/s, ''), true],
    ['no blob', plain.replace(/<XmlUpdateBlob>.*?<\/XmlUpdateBlob>/s, ''), true],
    ['empty blob', plain.replace(/<XmlUpdateBlob>.*?<\/XmlUpdateBlob>/s, '<XmlUpdateBlob />'), true],
    [
      'both blobs',
      plain.replace(/<\/Id>/, '</Id><XmlUpdateBlobCompressed>AAAA</XmlUpdateBlobCompressed>'),
      true,
    ],
    ['empty updates', compressed.replace(/<updates>.*<\/updates>/s, '<updates />'), true],
    ['no Result', compressed.replace(/<GetUpdateDataResult>.*<\/GetUpdateDataResult>/s, ''), false],
    ['comment', plain.replace(/<\/Id>/, '</Id><!-- x -->'), false],
    ['attribute', plain.replace('<XmlUpdateBlob>', '<XmlUpdateBlob a="1">'), false],
    [
      'nil attribute',
      plain.replace(
        /<RevisionNumber>\d+<\/RevisionNumber>/,
        '<RevisionNumber xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" />',
      ),
      false,
    ],
    ['unknown element', plain.replace(/<\/Id>/, '</Id><Extra>1</Extra>'), false],
    ['element in the blob', plain.replace('<XmlUpdateBlob>', '<XmlUpdateBlob><b/>'), false],
    ['Id twice', plain.replace(/(<Id>.*?<\/Id>)/s, '$1$1'), false],
    ['header', plain.replace(/<soap:Body>/, '<soap:Header /><soap:Body>'), false],
    ['truncated', plain.slice(0, plain.length - 40), false],
    ['wrong response', plain.replace(/GetUpdateDataResponse/g, 'GetCookieResponse'), false],
  ];
  for (const [name, b, streamed] of mutations) {
    assert.notEqual(b, plain, `${name}: the mutation applies`);
    assert.equal(same(b), streamed, name);
  }
  // Limits: too many updates is a protocol error on both paths; a long URL field too.
  const limits = { ...defaultServerSyncLimits, maxUpdatesPerResponse: 0 };
  assert.equal(same(plain, limits), true);
  assert.throws(() => decodeGetUpdateDataResponse(plain, limits), { code: 'PB_ERR_UPSTREAM_PROTOCOL' });
  same(plain, { ...defaultServerSyncLimits, maxFilesPerUpdate: 0 });
  same(plain, { ...defaultServerSyncLimits, xml: { ...defaultServerSyncLimits.xml, maxBytes: 100 } });
});

void test('encoded answers with URLs and digests: streaming equals the tree path', () => {
  const doc = '<Update><UpdateIdentity UpdateID="x" RevisionNumber="1" /></Update>';
  const answer = encodeGetUpdateDataResponse({
    updates: [
      {
        identity: { updateId: '8c3fcc84-7410-4a95-8b89-a166a0190486', revisionNumber: 7 },
        blob: encodeUpdateBlob(doc),
        fileDigests: ['AAAAAAAAAAAAAAAAAAAAAAAAAAA=', ' BBBBBBBBBBBBBBBBBBBBBBBBBBB= '],
      },
      {
        identity: { updateId: 'e0789628-ce08-4437-be74-2495b842f43b', revisionNumber: 1 },
        blob: encodeUpdateBlob(doc.repeat(200)),
        fileDigests: [],
      },
    ],
    fileUrls: [
      { fileDigest: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=', muUrl: 'http://x/a.cab', ussUrl: '' },
      { fileDigest: 'BBBBBBBBBBBBBBBBBBBBBBBBBBB=', muUrl: ' http://x/b.cab ', ussUrl: 'u' },
    ],
  });
  const b = encodeSoapResponse(answer, { version: '1.1', style: 'asmx' }).body;
  assert.ok(same(b));
  const r = decodeGetUpdateDataResponse(b);
  assert.equal(r.updates.length, 2);
  assert.equal(r.fileUrls.length, 2);
  assert.equal(r.updates[0]!.blob.kind === 'plain' && r.updates[0]!.blob.text, doc);
  for (const l of [{ maxShortString: 5 }, { maxFileUrls: 1 }]) {
    assert.equal(same(b, { ...defaultServerSyncLimits, ...l }), true);
    assert.throws(() => decodeGetUpdateDataResponse(b, { ...defaultServerSyncLimits, ...l }), {
      code: 'PB_ERR_UPSTREAM_PROTOCOL',
    });
  }
  const fewFiles = { ...defaultServerSyncLimits, maxFilesPerUpdate: 1 };
  assert.equal(same(b, fewFiles), true);
  assert.equal(decodeGetUpdateDataResponse(b, fewFiles).unattributable, 1);
  const soap12 = encodeSoapResponse(answer, { version: '1.2', style: 'asmx' }).body;
  assert.equal(same(soap12), false);
});
