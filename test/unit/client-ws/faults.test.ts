import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors.js';
import {
  clientWsLimitsFor,
  decodeGetAuthorizationCookieRequest,
  decodeGetExtendedUpdateInfoRequest,
  decodeGetFileLocationsRequest,
  decodeRefreshCacheRequest,
  decodeStartCategoryScanRequest,
  decodeSyncPrinterCatalogRequest,
  decodeSyncUpdatesRequest,
  decodeGetConfigRequest,
} from '../../../src/protocol/client-ws/index.js';
import { parseXml, type XmlElement } from '../../../src/protocol/xml/index.js';

const ns = 'http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService';
const authNs = 'http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService';
const cookie =
  '<cookie><Expiration>2026-10-04T16:03:35.9967236Z</Expiration><EncryptedData>AAAA</EncryptedData></cookie>';
const ints = (n: number, start = 1): string =>
  Array.from({ length: n }, (_, i) => `<int>${start + i}</int>`).join('');

function op(name: string, inner: string, namespace = ns): XmlElement {
  return parseXml(`<${name} xmlns="${namespace}">${inner}</${name}>`);
}

/** Asserts the call throws InvalidParameters naming `parameter` (the WSUS fault Message). */
function assertParam(fn: () => unknown, parameter: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, 'PB_ERR_INVALID_PARAMETER');
    assert.equal(e.faultCode, 'InvalidParameters');
    assert.equal(e.detail?.['parameter'], parameter);
    return true;
  });
}

const sync = (params: string, c = cookie): XmlElement =>
  op('SyncUpdates', `${c}<parameters>${params}</parameters>`);

void test('SyncUpdates: 400 installed non-leaf ids pass, 401 (duplicates counted) fault before anything else', () => {
  assert.equal(
    decodeSyncUpdatesRequest(sync(`<InstalledNonLeafUpdateIDs>${ints(400)}</InstalledNonLeafUpdateIDs>`))
      .installedNonLeafRevisionIds?.length,
    400,
  );
  const dup = '<int>7</int>'.repeat(401);
  assertParam(
    () => decodeSyncUpdatesRequest(sync(`<InstalledNonLeafUpdateIDs>${dup}</InstalledNonLeafUpdateIDs>`)),
    'parameters.InstalledNonLeafUpdateIDs',
  );
  // Checked before the cookie and before the other lists: a broken cookie and a bad other id do not mask it.
  const broken = '<cookie><EncryptedData>!!!</EncryptedData></cookie>';
  assertParam(
    () =>
      decodeSyncUpdatesRequest(
        sync(
          `<InstalledNonLeafUpdateIDs>${ints(401)}</InstalledNonLeafUpdateIDs><OtherCachedUpdateIDs><int>x</int></OtherCachedUpdateIDs>`,
          broken,
        ),
      ),
    'parameters.InstalledNonLeafUpdateIDs',
  );
  // The same broken cookie alone names the cookie.
  assertParam(() => decodeSyncUpdatesRequest(sync('', broken)), 'cookie.EncryptedData');
});

void test('SyncUpdates: other cached ids are bounded high, not at 400; bad ints name their list', () => {
  const many = decodeSyncUpdatesRequest(sync(`<OtherCachedUpdateIDs>${ints(5000)}</OtherCachedUpdateIDs>`));
  assert.equal(many.otherCachedRevisionIds?.length, 5000);
  const small = clientWsLimitsFor({ maxOtherCachedIds: 10 });
  assertParam(
    () => decodeSyncUpdatesRequest(sync(`<OtherCachedUpdateIDs>${ints(11)}</OtherCachedUpdateIDs>`), small),
    'parameters.OtherCachedUpdateIDs',
  );
  for (const bad of ['-5', '0', '2147483648', '99999999999999999999', '1.5', '', '0x10'])
    assertParam(
      () => decodeSyncUpdatesRequest(sync(`<OtherCachedUpdateIDs><int>${bad}</int></OtherCachedUpdateIDs>`)),
      'parameters.OtherCachedUpdateIDs',
    );
  assert.deepEqual(
    decodeSyncUpdatesRequest(sync('<OtherCachedUpdateIDs><int> 2147483647 </int></OtherCachedUpdateIDs>'))
      .otherCachedRevisionIds,
    [2147483647],
  );
  assertParam(
    () => decodeSyncUpdatesRequest(sync('<SkipSoftwareSync>yes</SkipSoftwareSync>')),
    'parameters.SkipSoftwareSync',
  );
  assertParam(
    () =>
      decodeSyncUpdatesRequest(
        sync(
          '<FilterCategoryIds><CategoryIdentifier><Id>not-a-guid</Id></CategoryIdentifier></FilterCategoryIds>',
        ),
      ),
    'parameters.FilterCategoryIds.Id',
  );
  assertParam(() => decodeSyncUpdatesRequest(op('SyncUpdates', cookie)), 'parameters');
});

void test('SyncUpdates: SOAP-encoded arrays are accepted; a declared oversize length is refused up front', () => {
  const encoded = `<InstalledNonLeafUpdateIDs xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="soapenc:Array" soapenc:arrayType="xsd:int[2]"><item>11</item><item>12</item></InstalledNonLeafUpdateIDs>`;
  assert.deepEqual(decodeSyncUpdatesRequest(sync(encoded)).installedNonLeafRevisionIds, [11, 12]);
  const huge = `<InstalledNonLeafUpdateIDs xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" soapenc:arrayType="xsd:int[1000000000]"><item>1</item></InstalledNonLeafUpdateIDs>`;
  assertParam(() => decodeSyncUpdatesRequest(sync(huge)), 'parameters.InstalledNonLeafUpdateIDs');
  const encodedRefs = `<revisionIDs xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" soapenc:arrayType="xsd:int[3]"><item>3</item><item>2</item><item>1</item></revisionIDs>`;
  assert.deepEqual(
    decodeGetExtendedUpdateInfoRequest(op('GetExtendedUpdateInfo', cookie + encodedRefs)).revisionIds,
    [3, 2, 1],
  );
});

void test('GetExtendedUpdateInfo: more than MaxExtendedUpdatesPerRequest (50, configurable) names revisionIDs', () => {
  const req = (n: number): XmlElement =>
    op(
      'GetExtendedUpdateInfo',
      `${cookie}<revisionIDs>${ints(n)}</revisionIDs><infoTypes><XmlUpdateFragmentType>Extended</XmlUpdateFragmentType></infoTypes><locales><string>en</string></locales>`,
    );
  assert.equal(decodeGetExtendedUpdateInfoRequest(req(50)).revisionIds.length, 50);
  assertParam(() => decodeGetExtendedUpdateInfoRequest(req(51)), 'revisionIDs');
  assert.equal(
    decodeGetExtendedUpdateInfoRequest(req(51), clientWsLimitsFor({ maxExtendedUpdatesPerRequest: 60 }))
      .revisionIds.length,
    51,
  );
  assertParam(
    () =>
      decodeGetExtendedUpdateInfoRequest(
        op(
          'GetExtendedUpdateInfo',
          `${cookie}<revisionIDs><int>1</int></revisionIDs><infoTypes><XmlUpdateFragmentType>Bogus</XmlUpdateFragmentType></infoTypes>`,
        ),
      ),
    'infoTypes',
  );
  assertParam(() => decodeGetExtendedUpdateInfoRequest(op('GetExtendedUpdateInfo', cookie)), 'revisionIDs');
});

void test('StartCategoryScan: 199 categories pass, 200 fault with requestedCategories', () => {
  const cats = (n: number): string =>
    `<requestedCategories>${Array.from(
      { length: n },
      (_, i) =>
        `<CategoryRelationship><IndexOfAndGroup>${i % 3}</IndexOfAndGroup><CategoryId>${(i + 1).toString(16).padStart(8, '0')}-0b20-45c1-ADD6-4da72e9364cf</CategoryId></CategoryRelationship>`,
    ).join('')}</requestedCategories>`;
  const ok = decodeStartCategoryScanRequest(op('StartCategoryScan', cats(199)));
  assert.equal(ok.requestedCategories.length, 199);
  assert.deepEqual(ok.requestedCategories[1], {
    andGroup: 1,
    categoryId: '00000002-0b20-45c1-add6-4da72e9364cf',
  });
  assertParam(
    () => decodeStartCategoryScanRequest(op('StartCategoryScan', cats(200))),
    'requestedCategories',
  );
  assertParam(
    () =>
      decodeStartCategoryScanRequest(
        op(
          'StartCategoryScan',
          '<requestedCategories><CategoryRelationship><IndexOfAndGroup>0</IndexOfAndGroup><CategoryId>zz</CategoryId></CategoryRelationship></requestedCategories>',
        ),
      ),
    'requestedCategories.CategoryId',
  );
});

void test('GetFileLocations: every digest exactly 20 bytes', () => {
  const d = (n: number): string => `<base64Binary>${Buffer.alloc(n, 7).toString('base64')}</base64Binary>`;
  const ok = decodeGetFileLocationsRequest(
    op('GetFileLocations', `${cookie}<fileDigests>${d(20)}${d(20)}</fileDigests>`),
  );
  assert.equal(ok.fileDigests.length, 2);
  assert.equal(ok.fileDigests[0]!.length, 20);
  assertParam(
    () =>
      decodeGetFileLocationsRequest(
        op('GetFileLocations', `${cookie}<fileDigests>${d(20)}${d(19)}</fileDigests>`),
      ),
    'fileDigests',
  );
  assertParam(
    () =>
      decodeGetFileLocationsRequest(op('GetFileLocations', `${cookie}<fileDigests>${d(21)}</fileDigests>`)),
    'fileDigests',
  );
  assertParam(
    () =>
      decodeGetFileLocationsRequest(
        op('GetFileLocations', `${cookie}<fileDigests><base64Binary>@@@@</base64Binary></fileDigests>`),
      ),
    'fileDigests',
  );
});

void test('GetAuthorizationCookie: bad GUID, target group splitting and bounds', () => {
  assertParam(
    () =>
      decodeGetAuthorizationCookieRequest(
        op('GetAuthorizationCookie', '<clientId>e1da06a3-5601</clientId><dnsName>x</dnsName>', authNs),
      ),
    'clientId',
  );
  assertParam(
    () => decodeGetAuthorizationCookieRequest(op('GetAuthorizationCookie', '<dnsName>x</dnsName>', authNs)),
    'clientId',
  );
  const r = decodeGetAuthorizationCookieRequest(
    op(
      'GetAuthorizationCookie',
      '<clientId>E1DA06A3-5601-43C9-BAC3-52D5DB701494</clientId><targetGroupName> Ring 1 ;Servers;; ring 1;Lab</targetGroupName><dnsName>pc1.example</dnsName>',
      authNs,
    ),
  );
  assert.equal(r.clientId, 'e1da06a3-5601-43c9-bac3-52d5db701494');
  assert.deepEqual(r.targetGroupNames, ['Ring 1', 'Servers', 'Lab']);
  assert.equal(r.dnsName, 'pc1.example');
  const tooMany = Array.from({ length: 33 }, (_, i) => `g${i}`).join(';');
  assertParam(
    () =>
      decodeGetAuthorizationCookieRequest(
        op(
          'GetAuthorizationCookie',
          `<clientId>e1da06a3-5601-43c9-bac3-52d5db701494</clientId><targetGroupName>${tooMany}</targetGroupName>`,
          authNs,
        ),
      ),
    'targetGroupName',
  );
  assertParam(
    () =>
      decodeGetAuthorizationCookieRequest(
        op(
          'GetAuthorizationCookie',
          `<clientId>e1da06a3-5601-43c9-bac3-52d5db701494</clientId><targetGroupName>${'x'.repeat(257)}</targetGroupName>`,
          authNs,
        ),
      ),
    'targetGroupName',
  );
  assertParam(
    () =>
      decodeGetAuthorizationCookieRequest(
        op(
          'GetAuthorizationCookie',
          `<clientId>e1da06a3-5601-43c9-bac3-52d5db701494</clientId><dnsName>${'x'.repeat(257)}</dnsName>`,
          authNs,
        ),
      ),
    'dnsName',
  );
});

void test('RefreshCache, SyncPrinterCatalog and GetConfig decode and bound their inputs', () => {
  const r = decodeRefreshCacheRequest(
    op(
      'RefreshCache',
      `${cookie}<globalIDs><UpdateIdentity><UpdateID>A2FEF9B0-7951-4C2C-A42B-9E351DD1C1FE</UpdateID><RevisionNumber>200</RevisionNumber></UpdateIdentity></globalIDs>`,
    ),
  );
  assert.deepEqual(r.identities, [{ updateId: 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe', revisionNumber: 200 }]);
  assertParam(
    () =>
      decodeRefreshCacheRequest(
        op(
          'RefreshCache',
          `${cookie}<globalIDs><UpdateIdentity><UpdateID>a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe</UpdateID><RevisionNumber>-1</RevisionNumber></UpdateIdentity></globalIDs>`,
        ),
      ),
    'globalIDs.RevisionNumber',
  );
  const p = decodeSyncPrinterCatalogRequest(
    op(
      'SyncPrinterCatalog',
      `${cookie}<installedNonLeafUpdateIDs>${ints(3)}</installedNonLeafUpdateIDs><printerUpdateIDs/>`,
    ),
  );
  assert.deepEqual(p.installedNonLeafRevisionIds, [1, 2, 3]);
  assert.deepEqual(p.printerRevisionIds, []);
  assertParam(
    () =>
      decodeSyncPrinterCatalogRequest(
        op(
          'SyncPrinterCatalog',
          `${cookie}<installedNonLeafUpdateIDs>${ints(401)}</installedNonLeafUpdateIDs>`,
        ),
      ),
    'installedNonLeafUpdateIDs',
  );
  assertParam(() => decodeGetConfigRequest(op('GetConfig', '')), 'protocolVersion');
  assertParam(
    () => decodeGetConfigRequest(op('GetConfig', `<protocolVersion>${'9'.repeat(65)}</protocolVersion>`)),
    'protocolVersion',
  );
});

void test('a decoder refuses an element of another operation', () => {
  assert.throws(
    () => decodeSyncUpdatesRequest(op('GetConfig', '<protocolVersion>2.90</protocolVersion>')),
    (e: unknown) => e instanceof AppError && e.code === 'PB_ERR_SOAP_UNKNOWN_OPERATION',
  );
});
