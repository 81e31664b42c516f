/**
 * Verbatim mode: the sync engine against the REAL captured answers (test/helpers/fake-upstream/verbatim-upstream.ts)
 * and Patchbay's requests checked against the REAL request bodies.
 *
 * Normalization before comparing with a captured request (documented in docs/sync.md): the captures' cookies
 * are zeroed runs of base64 `A`, and the fake serves exactly those, so cookies need no change; the probe that
 * made the captures omitted `Get63LanguageOnly` and `Languages`, which Patchbay sends (`false`, and the selected
 * languages resolved against GetConfigData's list), so those two elements are removed; an anchor's text is
 * compared as "present or absent" where the capture used an older anchor than the one the engine was given.
 * The engine runs with a clock set to the capture's time, so the captured 240-minute cookie is valid.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeUpdateBlob } from '../../../src/protocol/server-sync/index.js';
import { parseUpdateDocument } from '../../../src/protocol/update-xml/index.js';
import { listQuarantine, runSync, ServerSyncClient, setSelection } from '../../../src/sync/index.js';
import { capturedRequest, startVerbatimUpstream } from '../../helpers/fake-upstream/verbatim-upstream.js';
import { activeMembers, checkIntegrity, openTestDb, testTransport } from './harness.js';

const normalize = (body: string) =>
  body
    .replace(/<Get63LanguageOnly>false<\/Get63LanguageOnly>/, '')
    .replace(/<Languages>.*?<\/Languages>/, '');
const account = { accountName: 'probe.lab.invalid', accountGuid: '6f1c2f6e-3f0b-4d3a-9b1e-0d2f6a1c5e12' };

void test('verbatim upstream: request shapes equal the real ones; LZX category imported, faulting ids quarantined; anchored rerun uses Delta=true and fetches nothing', async (t) => {
  const db = await openTestDb(t, 'sqlite');
  const up = await startVerbatimUpstream();
  t.after(() => up.close());
  const transport = testTransport(t);
  let clock = Date.parse('2026-10-04T16:33:27Z');
  const now = () => clock;
  await setSelection(db, {
    products: ['8c3fcc84-7410-4a95-8b89-a166a0190486'],
    classifications: ['Definition Updates'],
    languages: ['en'],
  });
  const opts = { upstreamUrl: up.serverSyncUrl, nodeId: 'v', maxUpdatesPerRequest: 1, ...account };
  const r1 = await runSync({ db, transport, now }, opts);
  const byOp = (op: string) => up.requests.filter((r) => r.op === op).map((r) => r.body);

  assert.equal(byOp('GetAuthConfig')[0], capturedRequest('000001'));
  assert.equal(byOp('GetAuthorizationCookie')[0], capturedRequest('000002'));
  assert.equal(
    up.requests.find((r) => r.op === 'GetAuthorizationCookie')?.path,
    '/DssAuthWebService/DssAuthWebService.asmx',
  );
  assert.equal(
    byOp('GetCookie')[0],
    capturedRequest('000003'),
    'protocolVersion 1.20, the captured auth cookie',
  );
  assert.equal(byOp('GetConfigData')[0], capturedRequest('000005'), 'first GetConfigData without anchor');
  const lists = byOp('GetRevisionIdList');
  assert.equal(normalize(lists[0]!), capturedRequest('000006'), 'categories: GetConfig=true, no anchor');
  assert.match(
    lists[0]!,
    /<GetConfig>true<\/GetConfig><Get63LanguageOnly>false<\/Get63LanguageOnly><\/filter>/,
  );
  assert.equal(
    normalize(lists[1]!),
    capturedRequest('000009'),
    'product AND classification, Delta=false without anchor',
  );
  assert.match(
    lists[1]!,
    /<Languages><LanguageAndDelta><Id>1033<\/Id><Delta>false<\/Delta><\/LanguageAndDelta><\/Languages>/,
  );
  // The real 56309036 r101 category cabinet (LZX) became the one active member; every id the capture cannot
  // answer faulted alone (maxUpdatesPerRequest 1) and is quarantined, the sync itself did not fail.
  assert.equal(r1.outcome, 'partial');
  assert.deepEqual([...(await activeMembers(db))], ['56309036-4c77-4dd9-951a-99ee9c246a94/101']);
  const q = await listQuarantine(db);
  assert.ok(q.length > 30 && q.every((e) => e.reasonCode === 'upstream_fault'));
  assert.equal(up.served.filter((s) => s === '000016').length, 1);
  // Categories listed twice (revisions 1 and 100) are requested once, at the highest revision.
  const requestedCats = byOp('GetUpdateData').map((b) =>
    /<UpdateID>([^<]+)<\/UpdateID><RevisionNumber>(\d+)/.exec(b)!.slice(1).join('/'),
  );
  assert.ok(requestedCats.includes('e6cf1350-c01b-414d-a61f-263d14d133b4/100'));
  assert.ok(!requestedCats.includes('e6cf1350-c01b-414d-a61f-263d14d133b4/1'));
  await checkIntegrity(db);

  clock += 30 * 60_000; // quarantined ids are retried after 1 h (backoff base), not yet
  const updateDataBefore = byOp('GetUpdateData').length;
  const r2 = await runSync({ db, transport, now }, opts);
  const lists2 = byOp('GetRevisionIdList').slice(2);
  assert.equal(
    byOp('GetConfigData')[1]!.replace(/<configAnchor>[^<]*</, '<configAnchor><'),
    capturedRequest('000004').replace(/<configAnchor>[^<]*</, '<configAnchor><'),
  );
  assert.match(
    byOp('GetConfigData')[1]!,
    /<configAnchor>9438,2026-10-04 16:33:26.670<\/configAnchor>/,
    'the anchor GetConfigData returned',
  );
  assert.match(
    lists2[1]!,
    /<filter><Anchor>9438,2026-10-04 16:33:26.750<\/Anchor><GetConfig>false<\/GetConfig>/,
  );
  assert.equal(
    (lists2[1]!.match(/<Delta>true<\/Delta>/g) ?? []).length,
    3,
    'Delta=true for products, classifications, languages',
  );
  assert.doesNotMatch(lists2[1]!, /<Delta>false<\/Delta>/);
  assert.equal(byOp('GetUpdateData').length, updateDataBefore, 'nothing re-fetched');
  assert.equal(r2.generationChanged, false);
});

void test('verbatim upstream through the client: both blob forms over HTTP, cookie renewed before expiry with oldCookie', async (t) => {
  const up = await startVerbatimUpstream();
  t.after(() => up.close());
  let clock = Date.parse('2026-10-04T16:33:27Z');
  const client = new ServerSyncClient({
    transport: testTransport(t),
    url: up.serverSyncUrl,
    now: () => clock,
    ...account,
  });
  for (const [id, rev, kind] of [
    ['a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe', 200, 'compressed'],
    ['ccb78947-6453-4ecc-9de8-bc0305c98f2d', 200, 'plain'],
  ] as const) {
    const r = await client.getUpdateData([{ updateId: id, revisionNumber: rev }]);
    assert.equal(r.updates[0]!.blob.kind, kind);
    const doc = parseUpdateDocument(decodeUpdateBlob(r.updates[0]!.blob));
    assert.equal(doc.identity.updateId, id);
  }
  assert.equal(up.count('GetCookie'), 1);
  // 23 minutes before the captured Expiration (20:33:26Z): inside the renewal margin (a quarter of the
  // 4-hour lifetime, capped at 30 minutes), so the next call re-authenticates first, passing the old cookie.
  clock = Date.parse('2026-10-04T20:10:00Z');
  await client.getConfigData(undefined);
  assert.equal(up.count('GetCookie'), 2);
  const renewal = up.requests.filter((r) => r.op === 'GetCookie')[1]!.body;
  assert.match(
    renewal,
    /<oldCookie><Expiration>2026-10-04T20:33:26.65455Z<\/Expiration><EncryptedData>A+=*<\/EncryptedData><\/oldCookie><protocolVersion>1.20<\/protocolVersion>/,
  );
  // The real InvalidCookie fault (000019 is served for a cookie-less call) is a typed upstream fault.
  clock = Date.parse('2026-10-04T16:40:00Z');
  await assert.rejects(
    client.getUpdateData([{ updateId: '00000000-0000-0000-0000-000000000001', revisionNumber: 1 }]),
    (e: Error & { code?: string; detail?: { errorCode?: string } }) =>
      e.code === 'PB_ERR_UPSTREAM_FAULT' && e.detail?.errorCode === 'InternalServerError',
  );
});
