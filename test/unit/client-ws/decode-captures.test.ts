import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeGetAuthorizationCookieRequest,
  decodeGetConfigRequest,
  decodeGetCookieRequest,
  decodeGetExtendedUpdateInfoRequest,
  decodeRegisterComputerRequest,
  decodeSyncUpdatesRequest,
  elementOrder,
} from '../../../src/protocol/client-ws/index.js';
import { decodeReportEventBatchRequest } from '../../../src/protocol/reporting/index.js';
import { allExchanges, kids, requestOf } from './support.js';

// Every real request in the fixtures decodes (nothing thrown) with the decoder its body element selects.
const decoders: Record<string, (el: ReturnType<typeof requestOf>) => unknown> = {
  GetConfig: decodeGetConfigRequest,
  GetAuthorizationCookie: decodeGetAuthorizationCookieRequest,
  GetCookie: decodeGetCookieRequest,
  RegisterComputer: decodeRegisterComputerRequest,
  SyncUpdates: decodeSyncUpdatesRequest,
  GetExtendedUpdateInfo: decodeGetExtendedUpdateInfoRequest,
  ReportEventBatch: decodeReportEventBatchRequest,
};

void test('every captured request decodes with its operation decoder', () => {
  assert.equal(allExchanges.length, 22);
  for (const ex of allExchanges) {
    const op = requestOf(ex);
    const decode = decoders[op.local];
    assert.ok(decode, `${ex}: no decoder for ${op.local}`);
    assert.doesNotThrow(() => decode(op), ex);
  }
});

void test('GetConfig: native 2.90 and scripted 1.8', () => {
  assert.equal(decodeGetConfigRequest(requestOf('wsus-m0-native/scan/000001')).clientProtocolVersion, '2.90');
  assert.equal(decodeGetConfigRequest(requestOf('wsus-m0/000001')).clientProtocolVersion, '1.8');
});

void test('GetAuthorizationCookie: clientId lower-case GUID, dnsName, no target group', () => {
  const r = decodeGetAuthorizationCookieRequest(requestOf('wsus-m0-native/scan/000002'));
  assert.equal(r.clientId, 'e1da06a3-5601-43c9-bac3-52d5db701494');
  assert.equal(r.dnsName, 'REDACTED3');
  assert.deepEqual(r.targetGroupNames, []);
});

void test('GetCookie: native oldCookie carries only an Expiration; auth cookie bytes kept opaque', () => {
  const r = decodeGetCookieRequest(requestOf('wsus-m0-native/scan/000003'));
  assert.equal(r.authorizationCookies.length, 1);
  assert.equal(r.authorizationCookies[0]!.plugInId, 'SimpleTargeting');
  assert.equal(r.authorizationCookies[0]!.cookieData.length, 496); // WS2025's size, zeroed by sanitization
  assert.ok(r.authorizationCookies[0]!.cookieData.every((b) => b === 0));
  assert.ok(r.oldCookie);
  assert.equal(r.oldCookie.expiration?.toISOString(), '2026-10-04T15:03:36.000Z');
  assert.equal(r.oldCookie.encryptedData.length, 0);
  assert.equal(r.configLastChange?.toISOString(), '2026-10-04T13:17:07.590Z');
  assert.equal(r.clientTime?.toISOString(), '2026-10-04T15:03:36.000Z');
  assert.equal(r.clientProtocolVersion, '2.90');
  // The scripted driver sends no oldCookie at all.
  assert.equal(decodeGetCookieRequest(requestOf('wsus-m0/000003')).oldCookie, undefined);
});

void test('RegisterComputer: the native computerInfo, all 26 fields, wire order equals the table', () => {
  const op = requestOf('wsus-m0-native/scan/000004');
  const info = kids(op, 'computerInfo')[0]!;
  assert.deepEqual(
    kids(info).map((e) => e.local),
    [...elementOrder.computerInfoOrder],
  );
  const r = decodeRegisterComputerRequest(op);
  assert.equal(r.cookie.encryptedData.length, 224); // 300 base64 chars; docs/protocol/client.md §1.4 says 248 bytes
  assert.equal(r.cookie.expiration?.toISOString(), '2026-10-04T16:03:35.996Z');
  const c = r.computer;
  assert.equal(c.dnsName, 'REDACTED3');
  assert.equal(c.osMajorVersion, 10);
  assert.equal(c.osMinorVersion, 0);
  assert.equal(c.osBuildNumber, 26200);
  assert.equal(c.osLocale, 'en-US');
  assert.equal(c.computerManufacturer, 'QEMU');
  assert.equal(c.computerModel, 'Standard PC (Q35 + ICH9, 2009)');
  assert.equal(c.biosReleaseDate?.toISOString(), '2022-02-02T00:00:00.000Z');
  assert.equal(c.processorArchitecture, 'AMD64');
  assert.equal(c.suiteMask, 256);
  assert.equal(c.oldProductType, 1);
  assert.equal(c.newProductType, 48);
  assert.equal(c.clientVersionMajorNumber, 1507);
  assert.equal(c.clientVersionMinorNumber, 2601);
  assert.equal(c.clientVersionBuildNumber, 30012);
  assert.equal(c.clientVersionQfeNumber, 0);
  assert.equal(c.osDescription, 'Windows 10 Pro');
  assert.equal(c.oem, 'QEMU');
  assert.equal(c.firmwareVersion, 'unknown');
  assert.equal(c.mobileOperator, 'Not Present');
  // The scripted driver omits ten fields and sends ProcessorArchitecture as a number.
  const s = decodeRegisterComputerRequest(requestOf('wsus-m0/000004')).computer;
  assert.equal(s.processorArchitecture, '9');
  assert.equal(s.computerManufacturer, undefined);
  assert.equal(s.osDescription, undefined);
  assert.equal(s.osBuildNumber, 26100);
});

void test('SyncUpdates scan: first call omits every cached-id array; later calls carry 1 then 2 installed ids', () => {
  const first = decodeSyncUpdatesRequest(requestOf('wsus-m0-native/scan/000006'));
  assert.equal(first.installedNonLeafRevisionIds, undefined);
  assert.equal(first.otherCachedRevisionIds, undefined);
  assert.equal(first.cachedDriverRevisionIds, undefined);
  assert.equal(first.systemSpec, undefined);
  assert.equal(first.expressQuery, false);
  assert.equal(first.skipSoftwareSync, false);
  assert.deepEqual(first.filterCategoryIds, ['dd78b8a1-0b20-45c1-add6-4da72e9364cf']);
  assert.equal(first.needTwoGroupOutOfScopeUpdates, true);
  assert.equal(first.alsoPerformRegularSync, false);
  assert.equal(first.computerHardwareIds, undefined); // <ComputerSpec/> is empty
  assert.equal(first.featureScoreMatchingKey, undefined);
  assert.equal(first.productsParameters?.syncCurrentVersionOnly, false);
  assert.match(first.productsParameters?.deviceAttributes ?? '', /^ActivationChannel=Retail;.*OSSkuId=48;/);
  assert.equal(
    first.productsParameters?.callerAttributes,
    'Interactive=0;SheddingAware=1;Id=OOBE ZDP;AADDeviceTokenState=WU:0x00248002;',
  );
  assert.equal(first.productsParameters?.products, '');
  assert.equal(first.cookie.encryptedData.length, 224);

  assert.deepEqual(
    decodeSyncUpdatesRequest(requestOf('wsus-m0-native/scan/000007')).installedNonLeafRevisionIds,
    [108226],
  );
  assert.deepEqual(
    decodeSyncUpdatesRequest(requestOf('wsus-m0-native/scan/000008')).installedNonLeafRevisionIds,
    [108226, 108231],
  );
});

void test('SyncUpdates driver pass: SystemSpec with inline xmlns:a, 70 devices, hardware ids, matching key', () => {
  const r = decodeSyncUpdatesRequest(requestOf('wsus-m0-native/scan/000009'));
  assert.equal(r.skipSoftwareSync, true);
  assert.equal(r.systemSpec?.devices.length, 70);
  // REAL: a PCI device lists hardware ids then compatible ids, specific first, and its installed driver.
  const pci = r.systemSpec.devices.find((d) => d.hardwareIds[0]?.startsWith('PCI\\VEN_8086&DEV_2935'));
  assert.ok(pci);
  assert.equal(pci.hardwareIds.length, 4);
  assert.equal(pci.compatibleIds.length, 7);
  assert.equal(pci.compatibleIds[4], 'PCI\\VEN_8086');
  assert.equal(pci.installedDriver?.matchingId, 'PCI\\VEN_8086&DEV_2935');
  assert.equal(pci.installedDriver?.verVersion, '2814751477604080');
  assert.equal(pci.installedDriver?.verDate, '2006-06-21T00:00:00Z');
  assert.deepEqual(r.installedNonLeafRevisionIds, [108226, 108231]);
  assert.equal(r.otherCachedRevisionIds, undefined);
  assert.equal(r.featureScoreMatchingKey, 'AMD64.10.0');
  assert.equal(r.computerHardwareIds?.length, 6);
  assert.equal(r.computerHardwareIds?.[0], '458ab48b-acb9-5863-b5a8-d2c32f0d3e6f');
  const flowDriver = decodeSyncUpdatesRequest(requestOf('wsus-m0-native/flow/000014'));
  assert.equal(flowDriver.systemSpec?.devices.length, 75);
  assert.equal(flowDriver.installedNonLeafRevisionIds?.length, 94);
  assert.equal(flowDriver.otherCachedRevisionIds, undefined); // the driver pass drops the other list
});

void test('SyncUpdates flow: cached-id counts 87/1029 -> 94/1037 -> 94/1337, products string, unknown elements ignored', () => {
  const counts = ['000001', '000003', '000013'].map((n) => {
    const r = decodeSyncUpdatesRequest(requestOf(`wsus-m0-native/flow/${n}`));
    assert.equal(r.alsoPerformRegularSync, true);
    assert.equal(r.filterCategoryIds, undefined);
    assert.match(r.productsParameters?.products ?? '', /^PN=Client\.OS\.rs2\.amd64&/);
    return [r.installedNonLeafRevisionIds?.length, r.otherCachedRevisionIds?.length];
  });
  assert.deepEqual(counts, [
    [87, 1029],
    [94, 1037],
    [94, 1337],
  ]);
  const r = decodeSyncUpdatesRequest(requestOf('wsus-m0-native/flow/000013'));
  assert.equal(r.installedNonLeafRevisionIds?.[0], 16);
  assert.equal(r.otherCachedRevisionIds?.[0], 3);
});

void test('SyncUpdates scripted: empty arrays are [] (not undefined); 266/1684 ids mid-run', () => {
  const first = decodeSyncUpdatesRequest(requestOf('wsus-m0/000005'));
  assert.deepEqual(first.installedNonLeafRevisionIds, []);
  assert.deepEqual(first.otherCachedRevisionIds, []);
  assert.deepEqual(first.cachedDriverRevisionIds, []);
  assert.equal(first.productsParameters, undefined);
  const mid = decodeSyncUpdatesRequest(requestOf('wsus-m0/000070'));
  assert.equal(mid.installedNonLeafRevisionIds?.length, 266);
  assert.equal(mid.installedNonLeafRevisionIds?.[0], 81149);
  assert.equal(mid.otherCachedRevisionIds?.length, 1684);
  assert.equal(mid.otherCachedRevisionIds?.[0], 9468);
});

void test('GetExtendedUpdateInfo: revision ids, info types, locales and the extra elements', () => {
  const r = decodeGetExtendedUpdateInfoRequest(requestOf('wsus-m0-native/scan/000010'));
  assert.deepEqual(r.revisionIds, [72571, 108226, 108231]);
  assert.deepEqual(r.infoTypes, ['Extended', 'LocalizedProperties']);
  assert.deepEqual(r.locales, ['en-US', 'en']);
  assert.equal(r.geoId, 'USA');
  assert.match(r.deviceAttributes ?? '', /UpdateServiceUrl=http:\/\/192\.0\.2\.1:8530;/);
  assert.equal(
    r.callerAttributes,
    'Interactive=0;SheddingAware=1;Id=OOBE ZDP;AADDeviceTokenState=WU:0x00248002;',
  );
});
