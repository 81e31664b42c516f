import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors.js';
import {
  elementOrder,
  encodeGetConfigResponse,
  encodeGetExtendedUpdateInfoResponse,
  encodeGetFileLocationsResponse,
  encodeRefreshCacheResponse,
  encodeStartCategoryScanResponse,
  encodeSyncPrinterCatalogResponse,
  simpleTargetingPlugIn,
} from '../../../src/protocol/client-ws/index.js';
import { kid, kids, parseEncoded, responseOf, text } from './support.js';

// Shapes of the answers no capture holds (StartCategoryScan, RefreshCache, GetFileLocations, FileLocations,
// SyncPrinterCatalog): element names, namespace and order per docs/protocol/client.md §1.4 and the order tables.
const ns = 'http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService';
const names = (el: ReturnType<typeof parseEncoded>): string[] => kids(el).map((e) => e.local);
const cookie = { expiration: new Date('2026-10-04T16:03:35.996Z'), encryptedData: Buffer.alloc(8, 1) };
const sha1 = Buffer.from('0123456789abcdef0123', 'latin1');

void test('the order tables agree with the real responses where the captures show the elements', () => {
  const config = kid(responseOf('wsus-m0-native/scan/000001'), 'GetConfigResult');
  assert.deepEqual(
    names(config),
    elementOrder.configOrder.filter((n) => n !== 'AllowedEventIds'),
  );
  assert.deepEqual(
    kids(kid(config, 'Properties')).map((p) => text(kid(p, 'Name'))),
    [...elementOrder.configPropertyNames],
  );
  const page = kid(responseOf('wsus-m0-native/flow/000003'), 'SyncUpdatesResult');
  const order = elementOrder.syncInfoOrder as readonly string[];
  const seen = names(page).map((n) => order.indexOf(n));
  assert.ok(
    seen.every((i, k) => i >= 0 && (k === 0 || i > seen[k - 1]!)),
    names(page).join(','),
  );
  for (const ui of kids(kid(page, 'NewUpdates')))
    assert.deepEqual(names(ui), ['ID', 'Deployment', 'IsLeaf', 'Xml']);
});

void test('GetConfig: AllowedEventIds, when given, sits between AuthInfo and Properties', () => {
  const xml = encodeGetConfigResponse({
    lastChange: new Date('2026-10-04T13:17:07.590Z'),
    registrationRequired: false,
    authPlugIns: [simpleTargetingPlugIn],
    allowedEventIds: [147, 156],
    maxExtendedUpdatesPerRequest: 50,
    packageServerShare: '\\\\PATCHBAY\\UpdateServicesPackages',
    protocolVersion: '3.2',
    inventoryRequired: false,
    clientReportingLevel: 2,
  });
  const r = kid(parseEncoded(xml), 'GetConfigResult');
  assert.deepEqual(names(r), [...elementOrder.configOrder]);
  assert.equal(text(kid(r, 'LastChange')), '2026-10-04T13:17:07.59Z');
  assert.equal(text(kid(r, 'IsRegistrationRequired')), 'false');
  assert.deepEqual(kids(kid(r, 'AllowedEventIds')).map(text), ['147', '156']);
});

void test('StartCategoryScan: fields directly under the response, in-error list only when non-empty', () => {
  const a = 'dd78b8a1-0b20-45c1-add6-4da72e9364cf';
  const b = '6964aab4-c5b5-43bd-a17d-ffb4346a8e1d';
  const resp = parseEncoded(
    encodeStartCategoryScanResponse({ preferredCategoryIds: [a], categoryIdsInError: [b] }),
  );
  assert.equal(resp.uri, ns);
  assert.equal(resp.local, 'StartCategoryScanResponse');
  assert.deepEqual(names(resp), ['preferredCategoryIds', 'requestedCategoryIdsInError']);
  assert.deepEqual(
    kids(kid(resp, 'preferredCategoryIds')).map((g) => [g.local, text(g)]),
    [['guid', a]],
  );
  assert.deepEqual(names(parseEncoded(encodeStartCategoryScanResponse({ preferredCategoryIds: [a] }))), [
    'preferredCategoryIds',
  ]);
});

void test('RefreshCache: the ASMX array wrapper, items RevisionID, GlobalID, IsLeaf, Deployment', () => {
  const resp = parseEncoded(
    encodeRefreshCacheResponse([
      {
        revisionId: 200996,
        identity: { updateId: 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe', revisionNumber: 200 },
        isLeaf: false,
        deployment: {
          id: 1,
          action: 'Install',
          isAssigned: true,
          lastChangeTime: '2026-10-04',
          autoSelect: 0,
          autoDownload: 0,
          supersedenceBehavior: 0,
        },
      },
    ]),
  );
  const items = kids(kid(resp, 'RefreshCacheResult'));
  assert.equal(items.length, 1);
  assert.deepEqual(names(items[0]!), ['RevisionID', 'GlobalID', 'IsLeaf', 'Deployment']);
  assert.deepEqual(
    kids(kid(items[0]!, 'GlobalID')).map((e) => [e.local, text(e)]),
    [
      ['UpdateID', 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe'],
      ['RevisionNumber', '200'],
    ],
  );
  assert.equal(names(kid(items[0]!, 'Deployment')).length, 7);
  assert.deepEqual(names(kid(parseEncoded(encodeRefreshCacheResponse([])), 'RefreshCacheResult')), []);
});

void test('GetExtendedUpdateInfo and GetFileLocations: FileLocation{FileDigest (20 bytes), Url}, NewCookie', () => {
  const url = 'http://192.0.2.1:8530/Content/33/3031323334353637383961626364656630313233.exe';
  const ext = kid(
    parseEncoded(
      encodeGetExtendedUpdateInfoResponse({
        fragments: [{ revisionId: 5, xml: '<ExtendedProperties a="1" />' }],
        fileLocations: [{ sha1, url }],
        outOfScopeRevisionIds: [6],
      }),
    ),
    'GetExtendedUpdateInfoResult',
  );
  assert.deepEqual(names(ext), [...elementOrder.extendedUpdateInfoOrder]);
  const loc = kid(kid(ext, 'FileLocations'), 'FileLocation');
  assert.deepEqual(names(loc), ['FileDigest', 'Url']);
  assert.deepEqual(Buffer.from(text(kid(loc, 'FileDigest')), 'base64'), sha1);
  assert.equal(text(kid(loc, 'Url')), url);
  assert.equal(text(kid(kid(kid(ext, 'Updates'), 'Update'), 'Xml')), '<ExtendedProperties a="1" />');

  const fl = parseEncoded(
    encodeGetFileLocationsResponse({ fileLocations: [{ sha1, url }], newCookie: cookie }),
  );
  assert.equal(fl.local, 'GetFileLocationsResponse');
  const r = kid(fl, 'GetFileLocationsResult');
  assert.deepEqual(names(r), ['FileLocations', 'NewCookie']);
  assert.equal(text(kid(kid(r, 'NewCookie'), 'Expiration')), '2026-10-04T16:03:35.996Z');
  assert.throws(
    () =>
      encodeGetFileLocationsResponse({ fileLocations: [{ sha1: sha1.subarray(1), url }], newCookie: cookie }),
    (e: unknown) => e instanceof AppError && e.code === 'PB_ERR_INTERNAL',
  );
});

void test('SyncPrinterCatalog: an empty SyncInfo answer with the new cookie', () => {
  const r = kid(
    parseEncoded(encodeSyncPrinterCatalogResponse({ newCookie: cookie })),
    'SyncPrinterCatalogResult',
  );
  assert.deepEqual(names(r), ['Truncated', 'NewCookie', 'DriverSyncNotNeeded']);
  assert.equal(text(kid(r, 'Truncated')), 'false');
});
