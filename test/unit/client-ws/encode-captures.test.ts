import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  elementOrder,
  encodeGetAuthorizationCookieResponse,
  encodeGetConfigResponse,
  encodeGetCookieResponse,
  encodeGetExtendedUpdateInfoResponse,
  encodeRegisterComputerResponse,
  encodeSyncUpdatesResponse,
  formatDate,
  formatDateTime,
  serverProtocolVersion,
  simpleTargetingPlugIn,
  type DeploymentAction,
  type SyncUpdatesResult,
  type UpdateInfo,
} from '../../../src/protocol/client-ws/index.js';
import type { XmlElement } from '../../../src/protocol/xml/index.js';
import { has, kid, kids, parseEncoded, responseOf, structure, text } from './support.js';

// Each test feeds values taken from a real response into our encoder and compares the element structure of our
// `…Response` element with the real one (normalization: see support.ts). Cookie bytes are zero runs of the real
// length in the fixtures, so zero-filled buffers of that length reproduce them exactly.

function assertSameStructure(ours: string, real: XmlElement): void {
  assert.deepEqual(structure(parseEncoded(ours)), structure(real));
}

function zeroBytesOf(base64Text: string): Buffer {
  const b = Buffer.from(base64Text, 'base64');
  assert.ok(
    b.every((x) => x === 0),
    'fixture cookies are zeroed',
  );
  return Buffer.alloc(b.length);
}

void test('GetConfig: native scan and scripted run answers', () => {
  for (const ex of ['wsus-m0-native/scan/000001', 'wsus-m0/000001']) {
    const real = responseOf(ex);
    const r = kid(real, 'GetConfigResult');
    const share = text(kid(kids(kid(r, 'Properties'))[1]!, 'Value'));
    const ours = encodeGetConfigResponse({
      lastChange: text(kid(r, 'LastChange')),
      registrationRequired: true,
      authPlugIns: [simpleTargetingPlugIn],
      maxExtendedUpdatesPerRequest: 50,
      packageServerShare: share,
      protocolVersion: serverProtocolVersion,
      inventoryRequired: false,
      clientReportingLevel: 2,
    });
    assertSameStructure(ours, real);
  }
  // The Date form: .NET trims trailing fraction zeros (13:17:07.590 -> 13:17:07.59).
  assert.equal(formatDateTime(new Date('2026-10-04T13:17:07.590Z')), '2026-10-04T13:17:07.59Z');
  assert.equal(formatDateTime(new Date('2026-10-04T15:03:36.000Z')), '2026-10-04T15:03:36Z');
  assert.equal(formatDate(new Date('2026-10-04T23:59:59.999Z')), '2026-10-04');
});

void test('GetAuthorizationCookie (SimpleAuth) and GetCookie answers', () => {
  const auth = responseOf('wsus-m0-native/scan/000002');
  const cookieData = zeroBytesOf(text(kid(kid(auth, 'GetAuthorizationCookieResult'), 'CookieData')));
  assert.equal(cookieData.length, 496);
  assertSameStructure(
    encodeGetAuthorizationCookieResponse({ plugInId: 'SimpleTargeting', cookieData }),
    auth,
  );

  for (const ex of ['wsus-m0-native/scan/000003', 'wsus-m0/000003']) {
    const real = responseOf(ex);
    const r = kid(real, 'GetCookieResult');
    const ours = encodeGetCookieResponse({
      expiration: text(kid(r, 'Expiration')),
      encryptedData: zeroBytesOf(text(kid(r, 'EncryptedData'))),
    });
    assertSameStructure(ours, real);
  }
});

void test('RegisterComputer: an empty response element', () => {
  assertSameStructure(encodeRegisterComputerResponse(), responseOf('wsus-m0-native/scan/000004'));
  assertSameStructure(encodeRegisterComputerResponse(), responseOf('wsus-m0/000004'));
});

function updateInfoFrom(ui: XmlElement): UpdateInfo {
  const d = kid(ui, 'Deployment');
  // Guard the extraction itself: exactly the seven fields, in the table's order.
  assert.deepEqual(
    kids(d).map((e) => e.local),
    ['ID', 'Action', 'IsAssigned', 'LastChangeTime', 'AutoSelect', 'AutoDownload', 'SupersedenceBehavior'],
  );
  return {
    revisionId: Number(text(kid(ui, 'ID'))),
    deployment: {
      id: Number(text(kid(d, 'ID'))),
      action: text(kid(d, 'Action')) as DeploymentAction,
      isAssigned: text(kid(d, 'IsAssigned')) === 'true',
      lastChangeTime: text(kid(d, 'LastChangeTime')),
      autoSelect: Number(text(kid(d, 'AutoSelect'))),
      autoDownload: Number(text(kid(d, 'AutoDownload'))),
      supersedenceBehavior: Number(text(kid(d, 'SupersedenceBehavior'))),
    },
    isLeaf: text(kid(ui, 'IsLeaf')) === 'true',
    coreXml: text(kid(ui, 'Xml')),
  };
}

function syncResultFrom(real: XmlElement): SyncUpdatesResult {
  const r = kid(real, 'SyncUpdatesResult');
  const cookie = kid(r, 'NewCookie');
  return {
    newUpdates: has(r, 'NewUpdates') ? kids(kid(r, 'NewUpdates'), 'UpdateInfo').map(updateInfoFrom) : [],
    truncated: text(kid(r, 'Truncated')) === 'true',
    newCookie: {
      expiration: text(kid(cookie, 'Expiration')),
      encryptedData: zeroBytesOf(text(kid(cookie, 'EncryptedData'))),
    },
    driverSyncNotNeeded: text(kid(r, 'DriverSyncNotNeeded')) === 'true',
  };
}

void test('SyncUpdates: every captured page, the driver passes and the scripted pages', () => {
  const pages: Record<string, { updates: number; truncated: boolean; driverSyncNotNeeded: boolean }> = {
    'wsus-m0-native/scan/000006': { updates: 1, truncated: false, driverSyncNotNeeded: true },
    'wsus-m0-native/scan/000007': { updates: 1, truncated: false, driverSyncNotNeeded: true },
    'wsus-m0-native/scan/000008': { updates: 1, truncated: false, driverSyncNotNeeded: true },
    'wsus-m0-native/scan/000009': { updates: 0, truncated: false, driverSyncNotNeeded: true },
    'wsus-m0-native/flow/000001': { updates: 6, truncated: false, driverSyncNotNeeded: false },
    'wsus-m0-native/flow/000003': { updates: 30, truncated: true, driverSyncNotNeeded: false },
    'wsus-m0-native/flow/000013': { updates: 30, truncated: false, driverSyncNotNeeded: false },
    'wsus-m0-native/flow/000014': { updates: 0, truncated: false, driverSyncNotNeeded: true },
    'wsus-m0/000005': { updates: 30, truncated: true, driverSyncNotNeeded: false },
    'wsus-m0/000070': { updates: 30, truncated: true, driverSyncNotNeeded: false },
  };
  for (const [ex, want] of Object.entries(pages)) {
    const real = responseOf(ex);
    const result = syncResultFrom(real);
    assert.deepEqual(
      {
        updates: result.newUpdates.length,
        truncated: result.truncated,
        driverSyncNotNeeded: result.driverSyncNotNeeded,
      },
      want,
      ex,
    );
    const ours = encodeSyncUpdatesResponse(result);
    assertSameStructure(ours, real);
    // The Xml fragment is escaped text (not CDATA), byte-identical to WS2025's escaping for the same fragment.
    if (result.newUpdates.length > 0) assert.ok(!ours.includes('<![CDATA['));
  }
  // The Core fragment travels as escaped character data. WS2025 leaves `"` unescaped in text; the shared
  // writer escapes it as &quot; (equivalent XML; the structure comparison above checks the decoded text).
  const ours = encodeSyncUpdatesResponse(syncResultFrom(responseOf('wsus-m0-native/scan/000006')));
  assert.ok(ours.includes('<Xml>&lt;UpdateIdentity UpdateID='), ours.slice(0, 400));
  assert.ok(ours.includes('/&gt;&lt;Properties UpdateType='));
});

void test('SyncUpdates: optional lists appear only when used, in WSDL order; Deadline sits after Action', () => {
  const cookie = { expiration: '2026-10-04T16:03:35.9967236Z', encryptedData: Buffer.alloc(4) };
  const info: UpdateInfo = {
    revisionId: 200996,
    deployment: {
      id: 9,
      action: 'Install',
      deadline: new Date('2026-11-01T00:00:00Z'),
      isAssigned: true,
      lastChangeTime: new Date('2026-10-04T10:00:00Z'),
      autoSelect: 0,
      autoDownload: 0,
      supersedenceBehavior: 0,
    },
    isLeaf: false,
    coreXml: '<UpdateIdentity UpdateID="a" RevisionNumber="200" />',
  };
  const xml = encodeSyncUpdatesResponse({
    newUpdates: [info],
    outOfScopeRevisionIds: [5, 7],
    changedUpdates: [info],
    truncated: true,
    newCookie: cookie,
    deployedOutOfScopeRevisionIds: [8],
    driverSyncNotNeeded: false,
  });
  const result = kid(parseEncoded(xml), 'SyncUpdatesResult');
  assert.deepEqual(
    kids(result).map((e) => e.local),
    [...elementOrder.syncInfoOrder],
  );
  assert.deepEqual(
    kids(kid(result, 'OutOfScopeRevisionIDs')).map((e) => [e.local, text(e)]),
    [
      ['int', '5'],
      ['int', '7'],
    ],
  );
  const dep = kid(kid(kid(result, 'NewUpdates'), 'UpdateInfo'), 'Deployment');
  assert.deepEqual(
    kids(dep).map((e) => e.local),
    [
      'ID',
      'Action',
      'Deadline',
      'IsAssigned',
      'LastChangeTime',
      'AutoSelect',
      'AutoDownload',
      'SupersedenceBehavior',
    ],
  );
  assert.equal(text(kid(dep, 'Deadline')), '2026-11-01T00:00:00Z');
  assert.equal(text(kid(dep, 'LastChangeTime')), '2026-10-04');
  // Empty optional lists are omitted, not written empty.
  const empty = encodeSyncUpdatesResponse({
    newUpdates: [],
    outOfScopeRevisionIds: [],
    changedUpdates: [],
    truncated: false,
    newCookie: cookie,
    driverSyncNotNeeded: true,
  });
  assert.deepEqual(
    kids(kid(parseEncoded(empty), 'SyncUpdatesResult')).map((e) => e.local),
    ['Truncated', 'NewCookie', 'DriverSyncNotNeeded'],
  );
});

void test('GetExtendedUpdateInfo: Extended then LocalizedProperties fragments, no FileLocations for categories', () => {
  const real = responseOf('wsus-m0-native/scan/000010');
  const updates = kids(kid(kid(real, 'GetExtendedUpdateInfoResult'), 'Updates'), 'Update');
  assert.equal(updates.length, 6);
  const fragments = updates.map((u) => ({
    revisionId: Number(text(kid(u, 'ID'))),
    xml: text(kid(u, 'Xml')),
  }));
  assertSameStructure(encodeGetExtendedUpdateInfoResponse({ fragments, fileLocations: [] }), real);
});
