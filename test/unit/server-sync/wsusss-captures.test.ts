/**
 * MS-WSUSSS codecs against the REAL exchanges in wsus-m0-wsusss/exchanges (WS2025 acting as upstream).
 *
 * Requests: our encoders, fed with the values of the captured request (the cookies come from decoding the
 * captured answers, whose sanitized CookieData/EncryptedData are runs of base64 `A`, i.e. zero bytes, so they
 * re-encode to the same text), must produce the captured body byte for byte. Normalization: none beyond the
 * capture's own cookie zeroing. The probe that made the captures omitted `Get63LanguageOnly`; the codec omits it
 * when it is undefined (the engine sends `false`, SPEC: required for DSS >= 1.2 — see docs/sync.md).
 *
 * Responses: every captured answer decodes, including the LZX cabinet blobs (000013 bundle, 000016 category),
 * the plain blob (000015) and both real faults (000017 InternalServerError, 000019 InvalidCookie).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../../../src/errors.js';
import {
  decodeGetAuthConfigResult,
  decodeGetAuthorizationCookieResult,
  decodeGetConfigDataResult,
  decodeGetCookieResult,
  decodeGetRevisionIdListResult,
  decodeGetUpdateDataResult,
  decodeServerSyncResponse,
  decodeUpdateBlob,
  dssAuthNs,
  encodeGetAuthConfigRequest,
  encodeGetAuthorizationCookieRequest,
  encodeGetConfigDataRequest,
  encodeGetCookieRequest,
  encodeGetRevisionIdListRequest,
  encodeGetUpdateDataRequest,
  resolveDssAuthUrl,
  serverSyncNs,
  upstreamFaultCode,
  wrapServerSyncRequest,
} from '../../../src/protocol/server-sync/index.js';
import { parseUpdateDocument } from '../../../src/protocol/update-xml/index.js';
import { readFixture } from '../../helpers/fixtures.js';

const ex = (n: string, file: string) => readFixture('wsus', 'wsus-m0-wsusss', 'exchanges', n, file);
const reqText = (n: string) => ex(n, 'request.body').toString('utf8');
const doc = (name: string) => readFixture('wsus', 'wsus-m0-wsusss', 'docs', name).toString('utf8');
const id = (s: string) => s;

const cookie = decodeGetCookieResult(
  decodeServerSyncResponse(ex('000003', 'response.body'), serverSyncNs, 'GetCookie'),
);
const defender = id('8c3fcc84-7410-4a95-8b89-a166a0190486');
const definitionUpdates = id('e0789628-ce08-4437-be74-2495b842f43b');
const securityUpdates = id('0fa1201d-4330-4fa8-8ae9-b877473b6441');

void test('GetAuthConfig and DSS GetAuthorizationCookie: requests byte-equal, answers decode', () => {
  assert.equal(wrapServerSyncRequest(encodeGetAuthConfigRequest()), reqText('000001'));
  const auth = decodeGetAuthConfigResult(
    decodeServerSyncResponse(ex('000001', 'response.body'), serverSyncNs, 'GetAuthConfig'),
  );
  assert.equal(auth.lastChange, '2026-10-04T13:16:35.433Z');
  assert.deepEqual(auth.plugIns, [
    { plugInId: 'DssTargeting', serviceUrl: 'DssAuthWebService/DssAuthWebService.asmx', parameter: '' },
  ]);
  assert.equal(
    resolveDssAuthUrl('http://127.0.0.1:8530/ServerSyncWebService/ServerSyncWebService.asmx', auth.plugIns),
    'http://127.0.0.1:8530/DssAuthWebService/DssAuthWebService.asmx',
  );
  assert.throws(() =>
    resolveDssAuthUrl('https://a.example/x.asmx', [
      { plugInId: 'DssTargeting', serviceUrl: 'http://evil.example/x', parameter: '' },
    ]),
  );

  assert.equal(
    wrapServerSyncRequest(
      encodeGetAuthorizationCookieRequest({
        accountName: 'probe.lab.invalid',
        accountGuid: '6f1c2f6e-3f0b-4d3a-9b1e-0d2f6a1c5e12',
      }),
    ),
    reqText('000002'),
  );
  const authCookie = decodeGetAuthorizationCookieResult(
    decodeServerSyncResponse(ex('000002', 'response.body'), dssAuthNs, 'GetAuthorizationCookie'),
  );
  assert.equal(authCookie.plugInId, 'DssTargeting');
  // Sanitized CookieData is a run of base64 `A` (zero bytes); it must survive decode + re-encode (checked next).
  assert.ok(authCookie.cookieData.length > 0 && authCookie.cookieData.every((b) => b === 0));

  assert.equal(
    wrapServerSyncRequest(
      encodeGetCookieRequest({ authCookies: [authCookie], oldCookie: undefined, protocolVersion: '1.20' }),
    ),
    reqText('000003'),
  );
  assert.equal(cookie.expirationText, '2026-10-04T20:33:26.65455Z');
  assert.equal(cookie.expiresAt.toISOString(), '2026-10-04T20:33:26.654Z');
});

void test('GetConfigData with and without anchor: requests byte-equal, limits and languages decode', () => {
  assert.equal(
    wrapServerSyncRequest(
      encodeGetConfigDataRequest({ cookie, configAnchor: '9438,2026-10-04 16:09:27.167' }),
    ),
    reqText('000004'),
  );
  assert.equal(
    wrapServerSyncRequest(encodeGetConfigDataRequest({ cookie, configAnchor: undefined })),
    reqText('000005'),
  );
  const short = decodeGetConfigDataResult(
    decodeServerSyncResponse(ex('000004', 'response.body'), serverSyncNs, 'GetConfigData'),
  );
  assert.equal(short.languages.length, 0);
  assert.equal(short.newConfigAnchor, '9438,2026-10-04 16:33:26.668');
  const full = decodeGetConfigDataResult(
    decodeServerSyncResponse(ex('000005', 'response.body'), serverSyncNs, 'GetConfigData'),
  );
  assert.equal(full.maxNumberOfUpdatesPerRequest, 100);
  assert.equal(full.lazySync, true);
  assert.equal(full.catalogOnlySync, false);
  assert.equal(full.protocolVersion, '1.20');
  assert.equal(full.maxUpdatesPerRequestInGetUpdateDecryptionData, 100);
  assert.equal(full.languages.length, 39);
  assert.deepEqual(full.languages[0], {
    languageId: 0,
    shortLanguage: 'all',
    longLanguage: 'all',
    enabled: false,
  });
  assert.deepEqual(
    full.languages.filter((l) => l.enabled).map((l) => [l.languageId, l.shortLanguage]),
    [[1033, 'en']],
  );
});

void test('GetRevisionIdList: the five captured filters are reproduced byte for byte; lists decode', () => {
  const base = {
    anchor: undefined,
    get63LanguageOnly: undefined,
    categories: undefined,
    classifications: undefined,
    languages: undefined,
  };
  const enc = (filter: Parameters<typeof encodeGetRevisionIdListRequest>[0]['filter']) =>
    wrapServerSyncRequest(encodeGetRevisionIdListRequest({ cookie, filter }));
  assert.equal(enc({ ...base, getConfig: true }), reqText('000006'));
  assert.equal(
    enc({ ...base, getConfig: false, categories: [{ id: defender, delta: false }] }),
    reqText('000007'),
  );
  assert.equal(
    enc({
      ...base,
      getConfig: false,
      categories: [{ id: defender, delta: false }],
      classifications: [{ id: securityUpdates, delta: false }],
    }),
    reqText('000008'),
  );
  assert.equal(
    enc({
      ...base,
      getConfig: false,
      categories: [{ id: defender, delta: false }],
      classifications: [{ id: definitionUpdates, delta: false }],
    }),
    reqText('000009'),
  );
  assert.equal(
    enc({
      ...base,
      anchor: '9438,2026-10-04 16:09:27.371',
      getConfig: false,
      categories: [{ id: defender, delta: false }],
      classifications: [{ id: definitionUpdates, delta: false }],
    }),
    reqText('000010'),
  );
  // The element order with every part present (SPEC order; nothing captured has all of them).
  const all = encodeGetRevisionIdListRequest({
    cookie,
    filter: {
      anchor: 'a',
      getConfig: false,
      get63LanguageOnly: false,
      categories: [{ id: defender, delta: true }],
      classifications: [{ id: definitionUpdates, delta: true }],
      languages: [{ id: 1033, delta: true }],
    },
  });
  const order = [
    ...all.matchAll(/<(Anchor|GetConfig|Get63LanguageOnly|Categories|Classifications|Languages)>/g),
  ].map((m) => m[1]);
  assert.deepEqual(order, [
    'Anchor',
    'GetConfig',
    'Get63LanguageOnly',
    'Categories',
    'Classifications',
    'Languages',
  ]);

  const cats = decodeGetRevisionIdListResult(
    decodeServerSyncResponse(ex('000006', 'response.body'), serverSyncNs, 'GetRevisionIdList'),
  );
  assert.equal(cats.anchor, '9438,2026-10-04 16:33:26.671');
  assert.equal(cats.revisions.length, 30);
  assert.deepEqual(cats.revisions[0], {
    updateId: 'e6cf1350-c01b-414d-a61f-263d14d133b4',
    revisionNumber: 100,
  });
  // REAL: several revisions of one category id in a GetConfig=true list.
  assert.equal(cats.revisions.filter((r) => r.updateId === 'e6cf1350-c01b-414d-a61f-263d14d133b4').length, 2);
  const empty = decodeGetRevisionIdListResult(
    decodeServerSyncResponse(ex('000007', 'response.body'), serverSyncNs, 'GetRevisionIdList'),
  );
  assert.deepEqual(empty.revisions, []);
  const updates = decodeGetRevisionIdListResult(
    decodeServerSyncResponse(ex('000010', 'response.body'), serverSyncNs, 'GetRevisionIdList'),
  );
  assert.equal(updates.revisions.length, 30);
  assert.deepEqual(updates.revisions[0], {
    updateId: '8c55755c-2b9d-48cc-be8b-aedbf20911ec',
    revisionNumber: 201,
  });
});

void test('GetUpdateData: requests byte-equal; LZX cabinets and the plain blob decode to the real documents', () => {
  const cases = [
    ['000013', 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe', 200, 'compressed'],
    ['000015', 'ccb78947-6453-4ecc-9de8-bc0305c98f2d', 200, 'plain'],
    ['000016', '56309036-4c77-4dd9-951a-99ee9c246a94', 101, 'compressed'],
  ] as const;
  for (const [n, updateId, revisionNumber, kind] of cases) {
    assert.equal(
      wrapServerSyncRequest(
        encodeGetUpdateDataRequest({ cookie, updateIds: [{ updateId: id(updateId), revisionNumber }] }),
      ),
      reqText(n),
    );
    const r = decodeGetUpdateDataResult(
      decodeServerSyncResponse(ex(n, 'response.body'), serverSyncNs, 'GetUpdateData'),
    );
    assert.equal(r.updates.length, 1);
    const u = r.updates[0]!;
    assert.deepEqual(u.identity, { updateId, revisionNumber });
    assert.equal(u.blob.kind, kind);
    const bytes = decodeUpdateBlob(u.blob);
    const text = kind === 'compressed' ? bytes.toString('utf16le') : bytes.toString('utf8');
    assert.equal(text, doc(`${updateId}-r${revisionNumber}.xml`).replace(/\n$/, ''));
    const parsed = parseUpdateDocument(bytes);
    assert.equal(parsed.identity.updateId, updateId);
    assert.equal(parsed.identity.revisionNumber, revisionNumber);
  }
  const bundle = decodeGetUpdateDataResult(
    decodeServerSyncResponse(ex('000013', 'response.body'), serverSyncNs, 'GetUpdateData'),
  );
  assert.equal(decodeUpdateBlob(bundle.updates[0]!.blob).length, 69_570);
});

void test('real faults decode to PB_ERR_UPSTREAM_FAULT with the WSUS ErrorCode', () => {
  for (const [n, op, code] of [
    ['000017', 'GetUpdateData', 'InternalServerError'],
    ['000019', 'GetRevisionIdList', 'InvalidCookie'],
  ] as const) {
    try {
      decodeServerSyncResponse(ex(n, 'response.body'), serverSyncNs, op);
      assert.fail('expected a fault');
    } catch (e) {
      assert.ok(isAppError(e));
      assert.equal(e.code, 'PB_ERR_UPSTREAM_FAULT');
      assert.equal(upstreamFaultCode(e), code);
    }
  }
  // A wrong body element is a protocol error, not a fault.
  assert.throws(
    () => decodeServerSyncResponse(ex('000001', 'response.body'), serverSyncNs, 'GetCookie'),
    (e: unknown) => isAppError(e) && e.code === 'PB_ERR_UPSTREAM_PROTOCOL',
  );
});
