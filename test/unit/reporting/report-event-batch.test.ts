import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors.js';
import {
  decodeReportEventBatchRequest,
  encodeReportEventBatchResponse,
  miscDataValue,
  parseStatusLists,
} from '../../../src/protocol/reporting/index.js';
import { clientWsLimitsFor } from '../../../src/protocol/client-ws/index.js';
import { parseXml } from '../../../src/protocol/xml/index.js';
import { parseEncoded, requestOf, responseOf, structure } from '../client-ws/support.js';

const ns = 'http://www.microsoft.com/SoftwareDistribution';

void test('the three native report batches decode: 4, 9 and 2 events with the observed event ids', () => {
  const ids = ['000016', '000017', '000018'].map((n) =>
    decodeReportEventBatchRequest(requestOf(`wsus-m0-native/flow/${n}`)).events.map((e) => e.eventId),
  );
  assert.deepEqual(ids, [
    [147, 148, 148, 148],
    [148, 148, 147, 156, 147, 156, 161, 161, 181],
    [182, 182],
  ]);
});

void test('a native 182 event: basic and extended data, AppName in BasicData ignored', () => {
  const batch = decodeReportEventBatchRequest(requestOf('wsus-m0-native/flow/000018'));
  assert.equal(batch.clientTime?.toISOString(), '2026-10-04T15:20:47.680Z');
  assert.equal(batch.cookie.encryptedData.length, 224);
  const e = batch.events[1]!;
  assert.equal(e.targetId, 'e1da06a3-5601-43c9-bac3-52d5db701494');
  assert.equal(e.sequenceNumber, 0);
  assert.equal(e.eventInstanceId, 'f884a4bb-0aa1-43b7-8985-031de3b8a1b0');
  assert.equal(e.namespaceId, 1);
  assert.equal(e.sourceId, 101);
  assert.deepEqual(e.update, { updateId: 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe', revisionNumber: 200 });
  assert.equal(e.win32HResult, -2145099769); // 0x80246007 as a signed int32
  assert.equal(e.replacementStrings[0], '0x80246007');
  assert.match(
    e.replacementStrings[1]!,
    /^Security Intelligence Update for Microsoft Defender Antivirus - KB2267602/,
  );
  assert.equal(e.miscData.length, 27);
  assert.equal(miscDataValue(e.miscData, 'AppName'), '<<PROCESS>>: powershell.exe');
  assert.equal(miscDataValue(e.miscData, 'c'), '48'); // keys are case-sensitive: C=1, c=48
  assert.equal(miscDataValue(e.miscData, 'C'), '1');
  assert.equal(e.computerBrand, 'QEMU');
  assert.equal(e.computerModel, 'Standard PC (Q35 + ICH9, 2009)');
  assert.equal(e.biosRevision, 'unknown');
  assert.equal(e.processorArchitecture, 'Amd64Compatible');
  assert.deepEqual(e.osVersion, {
    major: 10,
    minor: 0,
    build: 26200,
    revision: 65792,
    servicePackMajor: 0,
    servicePackMinor: 0,
  });
  assert.equal(e.osLocaleId, 1033);
  // The first event has no ReplacementStrings element at all.
  assert.deepEqual(batch.events[0]!.replacementStrings, []);
  // A 147 event: the zero update identity.
  const scan = decodeReportEventBatchRequest(requestOf('wsus-m0-native/flow/000016')).events[0]!;
  assert.deepEqual(scan.update, { updateId: '00000000-0000-0000-0000-000000000000', revisionNumber: 0 });
});

void test('156 status lists: the native U list parses; bounds and bad ids name the list', () => {
  const events = decodeReportEventBatchRequest(requestOf('wsus-m0-native/flow/000017')).events.filter(
    (e) => e.eventId === 156,
  );
  assert.equal(events.length, 2);
  const withU = events.find((e) => miscDataValue(e.miscData, 'U') !== undefined)!;
  const lists = parseStatusLists(withU.miscData, 5000);
  assert.equal(lists.notInstalled.length, 6);
  assert.ok(lists.notInstalled.includes('a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe'));
  assert.ok(lists.notInstalled.every((id) => id === id.toLowerCase()));

  const a = 'A2FEF9B0-7951-4C2C-A42B-9E351DD1C1FE';
  const b = '1594B429-A8C5-4B0D-AC86-79B0A826A847';
  assert.deepEqual(parseStatusLists([`U=${a};${a};`, `V=${b}`], 10), {
    notInstalled: [a.toLowerCase()],
    installed: [b.toLowerCase()],
  });
  assert.deepEqual(parseStatusLists(['C=1'], 10), { notInstalled: [], installed: [] });
  const tooMany = Array.from({ length: 4 }, (_, i) => `0000000${i}-7951-4C2C-A42B-9E351DD1C1FE`).join(';');
  for (const [misc, param] of [
    [[`U=${tooMany}`], 'MiscData.U'],
    [[`V=${a};nope`], 'MiscData.V'],
    [[`U=${'x'.repeat(1000)}`], 'MiscData.U'],
  ] as const)
    assert.throws(
      () => parseStatusLists(misc, 3),
      (e: unknown) => e instanceof AppError && e.detail?.['parameter'] === param,
    );
});

void test('bounds and bad values name their parameter', () => {
  const event = (basic: string, ext = ''): string =>
    `<ReportingEvent><BasicData><TargetID><Sid>e1da06a3-5601-43c9-bac3-52d5db701494</Sid></TargetID><TimeAtTarget>2026-10-04T15:20:47.68Z</TimeAtTarget><EventInstanceID>be732391-b71d-4fd2-90bf-8d780506aba6</EventInstanceID><NamespaceID>1</NamespaceID><EventID>182</EventID><SourceID>101</SourceID>${basic}</BasicData><ExtendedData>${ext}</ExtendedData><PrivateData><Anything/></PrivateData></ReportingEvent>`;
  const batch = (events: string): ReturnType<typeof parseXml> =>
    parseXml(
      `<ReportEventBatch xmlns="${ns}"><clientTime>2026-10-04T15:20:47.68Z</clientTime><eventBatch>${events}</eventBatch></ReportEventBatch>`,
    );
  const param = (fn: () => unknown, p: string): void =>
    assert.throws(
      fn,
      (e: unknown) =>
        e instanceof AppError && e.code === 'PB_ERR_INVALID_PARAMETER' && e.detail?.['parameter'] === p,
    );

  assert.equal(decodeReportEventBatchRequest(batch(event(''))).events[0]!.win32HResult, 0);
  const limits = clientWsLimitsFor({ maxMiscDataStrings: 2, maxEventString: 10 });
  // No count cap: a scan reports one event per update (1,670 seen), bytes bound the batch.
  assert.equal(decodeReportEventBatchRequest(batch(event('').repeat(1_670)), limits).events.length, 1_670);
  param(
    () => decodeReportEventBatchRequest(batch(event('<Win32HResult>2147483648</Win32HResult>'))),
    'eventBatch.ReportingEvent.BasicData.Win32HResult',
  );
  assert.equal(
    decodeReportEventBatchRequest(batch(event('<Win32HResult>-2147483648</Win32HResult>'))).events[0]!
      .win32HResult,
    -2147483648,
  );
  param(
    () =>
      decodeReportEventBatchRequest(
        batch(event('', '<MiscData><string>a</string><string>b</string><string>c</string></MiscData>')),
        limits,
      ),
    'eventBatch.ReportingEvent.ExtendedData.MiscData',
  );
  param(
    () =>
      decodeReportEventBatchRequest(
        batch(event('', `<ReplacementStrings><string>${'x'.repeat(11)}</string></ReplacementStrings>`)),
        limits,
      ),
    'eventBatch.ReportingEvent.ExtendedData.ReplacementStrings',
  );
  // An informational name over its bound is cut, not faulted: the client would resend the batch forever.
  assert.equal(
    decodeReportEventBatchRequest(batch(event('', `<ComputerModel>${'x'.repeat(300)}</ComputerModel>`)))
      .events[0]!.computerModel?.length,
    256,
  );
  param(
    () => decodeReportEventBatchRequest(batch(event('').replace('be732391-b71d', 'zz'))),
    'eventBatch.ReportingEvent.BasicData.EventInstanceID',
  );
  param(
    () => decodeReportEventBatchRequest(batch('<ReportingEvent><ExtendedData/></ReportingEvent>')),
    'eventBatch.ReportingEvent.BasicData',
  );
});

void test('the response is ReportEventBatchResult true, as the real server answers', () => {
  for (const n of ['000016', '000017', '000018'])
    assert.deepEqual(
      structure(parseEncoded(encodeReportEventBatchResponse())),
      structure(responseOf(`wsus-m0-native/flow/${n}`)),
    );
});
