/**
 * The USS side of the codecs (Patchbay as an upstream, roadmap): what we encode decodes back to the same values
 * with our own DSS-side decoders, requests decode on the USS side, large documents go out as MSZIP cabinets
 * that our cabinet reader (and any FDI reader) expands, and the hard limits hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../../../src/errors.js';
import { decodeSoapEnvelope, encodeSoapResponse } from '../../../src/protocol/soap/index.js';
import {
  decodeGetConfigDataResult,
  decodeGetCookieRequest,
  decodeGetRevisionIdListRequest,
  decodeGetRevisionIdListResult,
  decodeGetUpdateDataRequest,
  decodeGetUpdateDataResult,
  decodeServerSyncResponse,
  decodeUpdateBlob,
  defaultServerSyncLimits,
  encodeGetConfigDataResponse,
  ws2025ServerFlags,
  encodeGetCookieRequest,
  encodeGetRevisionIdListRequest,
  encodeGetRevisionIdListResponse,
  encodeGetUpdateDataRequest,
  encodeGetUpdateDataResponse,
  encodeUpdateBlob,
  serverSyncNs,
  wrapServerSyncRequest,
  type ServerSyncConfigData,
} from '../../../src/protocol/server-sync/index.js';

const asmx = { version: '1.1', style: 'asmx' } as const;
const cookie = {
  expirationText: '2026-10-04T20:33:26.65455Z',
  expiresAt: new Date(0),
  encryptedData: Buffer.from('abc'),
};
const u = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;

void test('GetConfigData and GetRevisionIdList answers round-trip', () => {
  const cfg: ServerSyncConfigData = {
    ...ws2025ServerFlags,
    maxNumberOfUpdatesPerRequest: 50,
    newConfigAnchor: '1,2026-01-01 00:00:00.000',
    languages: [{ languageId: 1033, shortLanguage: 'en', longLanguage: 'English', enabled: true }],
    maxUpdatesPerRequestInGetUpdateDecryptionData: 100,
  };
  const body = encodeSoapResponse(encodeGetConfigDataResponse(cfg), asmx).body;
  assert.deepEqual(
    decodeGetConfigDataResult(decodeServerSyncResponse(body, serverSyncNs, 'GetConfigData')),
    cfg,
  );
  const list = { anchor: 'x', revisions: [{ updateId: u(1), revisionNumber: 100 }] };
  const lb = encodeSoapResponse(encodeGetRevisionIdListResponse(list), asmx).body;
  assert.deepEqual(
    decodeGetRevisionIdListResult(decodeServerSyncResponse(lb, serverSyncNs, 'GetRevisionIdList')),
    list,
  );
});

void test('requests decode on the upstream side', () => {
  const filter = {
    anchor: 'a',
    getConfig: false,
    get63LanguageOnly: false,
    categories: [{ id: u(1), delta: true }],
    classifications: [{ id: u(2), delta: true }],
    languages: [{ id: 1033, delta: true }],
  };
  const op = (xml: string) => decodeSoapEnvelope(wrapServerSyncRequest(xml)).payload;
  const r = decodeGetRevisionIdListRequest(op(encodeGetRevisionIdListRequest({ cookie, filter })));
  assert.deepEqual(r.filter, filter);
  assert.deepEqual(r.cookie.encryptedData, cookie.encryptedData);
  const g = decodeGetUpdateDataRequest(
    op(encodeGetUpdateDataRequest({ cookie, updateIds: [{ updateId: u(3), revisionNumber: 7 }] })),
  );
  assert.deepEqual(g.updateIds, [{ updateId: u(3), revisionNumber: 7 }]);
  const tooMany = encodeGetUpdateDataRequest({
    cookie,
    updateIds: Array.from({ length: 101 }, (_, i) => ({ updateId: u(i), revisionNumber: 1 })),
  });
  assert.throws(
    () => decodeGetUpdateDataRequest(op(tooMany)),
    (e: unknown) => isAppError(e) && e.message.startsWith('updateIds'),
  );
  const c = decodeGetCookieRequest(
    op(
      encodeGetCookieRequest({
        authCookies: [{ plugInId: 'DssTargeting', cookieData: Buffer.from([1]) }],
        oldCookie: cookie,
        protocolVersion: '1.20',
      }),
    ),
  );
  assert.equal(c.protocolVersion, '1.20');
  assert.equal(c.oldCookie?.expirationText, cookie.expirationText);
});

void test('GetUpdateData: small documents plain, large ones as MSZIP cabinets; both decode back', () => {
  const small = `<upd:Update xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update">${'a'.repeat(100)}</upd:Update>`;
  const large = `<upd:Update xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update">${'<x>&amp;</x>'.repeat(2000)}</upd:Update>`;
  const sb = encodeUpdateBlob(small);
  const lb = encodeUpdateBlob(large);
  assert.equal(sb.kind, 'plain');
  assert.equal(lb.kind, 'compressed');
  const body = encodeSoapResponse(
    encodeGetUpdateDataResponse({
      updates: [
        {
          identity: { updateId: u(1), revisionNumber: 1 },
          blob: sb,
          fileDigests: ['AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
        },
        { identity: { updateId: u(2), revisionNumber: 1 }, blob: lb, fileDigests: [] },
      ],
      fileUrls: [
        { fileDigest: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=', muUrl: 'http://x/y.cab', ussUrl: '' },
        { fileDigest: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=', muUrl: 'http://x/y.cab', ussUrl: '' },
      ],
    }),
    asmx,
  ).body;
  const r = decodeGetUpdateDataResult(decodeServerSyncResponse(body, serverSyncNs, 'GetUpdateData'));
  assert.equal(r.fileUrls.length, 1, 'URLs are deduplicated');
  assert.equal(decodeUpdateBlob(r.updates[0]!.blob).toString('utf8'), small);
  assert.equal(decodeUpdateBlob(r.updates[1]!.blob).toString('utf16le'), large);
  assert.deepEqual(r.updates[0]!.fileDigests, ['AAAAAAAAAAAAAAAAAAAAAAAAAAA=']);
});

void test('blob limits: a cabinet expanding past maxDocumentBytes and garbage base64 are typed errors', () => {
  const big = encodeUpdateBlob(`<a>${'x'.repeat(100_000)}</a>`);
  const limits = { ...defaultServerSyncLimits, maxDocumentBytes: 10_000 };
  const reason = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(isAppError(e));
      return e.detail?.reason;
    }
    return undefined;
  };
  assert.equal(
    reason(() => decodeUpdateBlob(big, limits)),
    'blob-too-large',
  );
  assert.equal(
    reason(() => decodeUpdateBlob({ kind: 'compressed', base64: '!!!!' })),
    'bad-base64',
  );
  assert.equal(
    reason(() => decodeUpdateBlob({ kind: 'compressed', base64: 'TVNDRgAAAAA=' })),
    'bad-cabinet',
  );
  assert.equal(
    reason(() => decodeUpdateBlob({ kind: 'none' })),
    'missing-blob',
  );
});
