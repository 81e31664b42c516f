/**
 * What a downstream can send Patchbay-as-upstream beyond the captured exchanges, run on both databases
 * (downstream-input-*.test.ts): bad input (forged cookies, other cookie kinds, garbage anchors, oversized id
 * lists, unknown ids, another protocol major) gets WSUS's faults and never a crash; partial GetUpdateData
 * answers near the byte budget; DownloadFiles queues files we serve and names the ones we do not; content
 * reaches a downstream Patchbay through A's /Content/.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { downloadAndAnnounce } from '../../../src/content-sync/index.js';
import type { UpdateIdentity } from '../../../src/domain/ids.js';
import {
  dssAuthNs,
  encodeGetAuthorizationCookieRequest,
  encodeGetCookieRequest,
  encodeGetUpdateDataRequest,
  serverSyncNs,
  wrapServerSyncRequest,
  type ServerSyncCookie,
} from '../../../src/protocol/server-sync/index.js';
import { decodeSoapFault } from '../../../src/protocol/soap/index.js';
import { createRepositories, FsContentStore } from '../../../src/storage/index.js';
import { runSync } from '../../../src/sync/index.js';
import { ids, syntheticDocument } from '../../helpers/fake-upstream/real-catalog.js';
import { silentLogger } from '../client-service/harness.js';
import { activeMembers, openTestDb, testTransport, type DbKind } from '../sync/harness.js';
import { startUpstreamPatchbay, type UpstreamPatchbay } from './harness.js';

const ssPath = '/ServerSyncWebService/ServerSyncWebService.asmx';

async function call(uss: UpstreamPatchbay, op: string, content: string, path = ssPath) {
  const ns = path === ssPath ? serverSyncNs : dssAuthNs;
  const r = await uss.post(path, wrapServerSyncRequest(content), `${ns}/${op}`);
  return { ...r, fault: r.status === 500 ? decodeSoapFault(r.body) : undefined };
}

async function session(uss: UpstreamPatchbay, version = '1.20'): Promise<ServerSyncCookie> {
  const auth = await call(
    uss,
    'GetAuthorizationCookie',
    encodeGetAuthorizationCookieRequest({
      accountName: 'dss.lab.invalid',
      accountGuid: '6f1c2f6e-3f0b-4d3a-9b1e-0d2f6a1c5e12',
    }),
    '/dssauthwebservice/dssauthwebservice.asmx',
  );
  assert.equal(auth.status, 200, auth.body);
  const cookieData = Buffer.from(/<CookieData>([^<]+)</.exec(auth.body)![1]!, 'base64');
  const c = await call(
    uss,
    'GetCookie',
    encodeGetCookieRequest({
      authCookies: [{ plugInId: 'DssTargeting', cookieData }],
      oldCookie: undefined,
      protocolVersion: version,
    }),
  );
  if (c.status !== 200) throw Object.assign(new Error('GetCookie fault'), { fault: c.fault });
  const expirationText = /<Expiration>([^<]+)</.exec(c.body)![1]!;
  return {
    expirationText,
    expiresAt: new Date(expirationText),
    encryptedData: Buffer.from(/<EncryptedData>([^<]+)</.exec(c.body)![1]!, 'base64'),
  };
}

const cookieXml = (c: ServerSyncCookie) =>
  `<cookie><Expiration>${c.expirationText}</Expiration><EncryptedData>${c.encryptedData.toString('base64')}</EncryptedData></cookie>`;

const revisionList = (c: ServerSyncCookie, filter: string) =>
  `<GetRevisionIdList xmlns="${serverSyncNs}">${cookieXml(c)}<filter>${filter}</filter></GetRevisionIdList>`;

const u = (n: number) => `0badf00d-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function downstreamInputScenario(kind: DbKind): void {
  void test(`[${kind}] GetDeployments: garbage, foreign or missing anchors, forged cookies and oversized input get WSUS's faults`, async (t: TestContext) => {
    const uss = await startUpstreamPatchbay(t, kind);
    const c = await session(uss);
    const deployments = (cookie: ServerSyncCookie, inner: string) =>
      call(
        uss,
        'GetDeployments',
        `<GetDeployments xmlns="${serverSyncNs}">${cookieXml(cookie)}${inner}</GetDeployments>`,
      );
    const list = await call(uss, 'GetRevisionIdList', revisionList(c, '<GetConfig>true</GetConfig>'));
    const syncAnchor = /<Anchor>([^<]+)</.exec(list.body)![1]!;
    const ok = await deployments(c, `<syncAnchor>${syncAnchor}</syncAnchor>`);
    assert.equal(ok.status, 200, ok.body);
    assert.match(ok.body, /<Groups><ServerSyncTargetGroup><TargetGroupID>/);
    const anchor = /<GetDeploymentsResult><Anchor>([^<]+)</.exec(ok.body)![1]!;
    const again = await deployments(
      c,
      `<deploymentAnchor>${anchor}</deploymentAnchor><syncAnchor>${syncAnchor}</syncAnchor>`,
    );
    assert.equal(again.status, 200, again.body);
    const cases: [string, ServerSyncCookie, string, string, string][] = [
      ['no syncAnchor', c, '', 'InvalidParameters', 'syncAnchor'],
      ['empty syncAnchor', c, '<syncAnchor></syncAnchor>', 'InvalidParameters', 'syncAnchor'],
      ['garbage syncAnchor', c, '<syncAnchor>yesterday</syncAnchor>', 'InvalidParameters', 'syncAnchor'],
      [
        'unissued syncAnchor',
        c,
        '<syncAnchor>99999,2026-01-01 00:00:00.000</syncAnchor>',
        'InvalidParameters',
        'syncAnchor',
      ],
      [
        'garbage deploymentAnchor',
        c,
        `<deploymentAnchor>not,an anchor</deploymentAnchor><syncAnchor>${syncAnchor}</syncAnchor>`,
        'InvalidParameters',
        'deploymentAnchor',
      ],
      [
        'unissued deploymentAnchor',
        c,
        `<deploymentAnchor>4242,2001-01-01 00:00:00.000</deploymentAnchor><syncAnchor>${syncAnchor}</syncAnchor>`,
        'InvalidParameters',
        'deploymentAnchor',
      ],
      [
        'oversized deploymentAnchor',
        c,
        `<deploymentAnchor>${'9'.repeat(100_000)}</deploymentAnchor><syncAnchor>${syncAnchor}</syncAnchor>`,
        'InvalidParameters',
        'deploymentAnchor',
      ],
      [
        'forged cookie',
        { ...c, encryptedData: randomBytes(c.encryptedData.length) },
        `<syncAnchor>${syncAnchor}</syncAnchor>`,
        'InvalidCookie',
        '',
      ],
    ];
    for (const [what, cookie, inner, errorCode, parameter] of cases) {
      const r = await deployments(cookie, inner);
      assert.equal(r.status, 500, `${what}: ${r.body.slice(0, 300)}`);
      assert.equal(r.fault?.errorCode, errorCode, what);
      if (parameter !== '') assert.equal(r.fault?.message, parameter, what);
    }
    // The server is still fine.
    assert.equal((await deployments(c, `<syncAnchor>${syncAnchor}</syncAnchor>`)).status, 200);
  });

  void test(`[${kind}] bad downstream input gets WSUS's faults, never a crash`, async (t: TestContext) => {
    const uss = await startUpstreamPatchbay(t, kind);
    const c = await session(uss);
    const expectFault = async (
      what: string,
      r: Promise<Awaited<ReturnType<typeof call>>>,
      errorCode: string,
      message = '',
      code = 'Client',
    ) => {
      const x = await r;
      assert.equal(x.status, 500, `${what}: HTTP 500 (${x.body.slice(0, 300)})`);
      assert.equal(x.fault?.errorCode, errorCode, what);
      assert.equal(x.fault?.message ?? '', message, what);
      assert.equal(x.fault?.code, code, what);
    };
    // Forged and foreign cookies.
    const forged = { ...c, encryptedData: randomBytes(c.encryptedData.length) };
    await expectFault(
      'forged session cookie',
      call(uss, 'GetRevisionIdList', revisionList(forged, '<GetConfig>true</GetConfig>')),
      'InvalidCookie',
    );
    const flipped = Buffer.from(c.encryptedData);
    flipped[flipped.length - 1]! ^= 1;
    await expectFault(
      'tampered session cookie',
      call(
        uss,
        'GetRevisionIdList',
        revisionList({ ...c, encryptedData: flipped }, '<GetConfig>true</GetConfig>'),
      ),
      'InvalidCookie',
    );
    await expectFault(
      'no cookie',
      call(uss, 'GetUpdateData', `<GetUpdateData xmlns="${serverSyncNs}"><updateIds /></GetUpdateData>`),
      'InvalidCookie',
    );
    await expectFault(
      'garbage cookie text',
      call(
        uss,
        'GetConfigData',
        `<GetConfigData xmlns="${serverSyncNs}"><cookie><Expiration>x</Expiration><EncryptedData>!!</EncryptedData></cookie></GetConfigData>`,
      ),
      'InvalidCookie',
    );
    await expectFault(
      'forged authorization cookie',
      call(
        uss,
        'GetCookie',
        encodeGetCookieRequest({
          authCookies: [{ plugInId: 'DssTargeting', cookieData: randomBytes(120) }],
          oldCookie: undefined,
          protocolVersion: '1.20',
        }),
      ),
      'InvalidAuthorizationCookie',
    );
    // A session cookie is not an authorization cookie (distinct kinds under one key ring).
    await expectFault(
      'session cookie presented as authorization cookie',
      call(
        uss,
        'GetCookie',
        encodeGetCookieRequest({
          authCookies: [{ plugInId: 'DssTargeting', cookieData: c.encryptedData }],
          oldCookie: undefined,
          protocolVersion: '1.20',
        }),
      ),
      'InvalidAuthorizationCookie',
    );
    await assert.rejects(
      session(uss, '2.0'),
      (e: { fault?: { errorCode?: string } }) => e.fault?.errorCode === 'IncompatibleProtocolVersion',
    );
    await assert.rejects(
      session(uss, 'one'),
      (e: { fault?: { errorCode?: string; message?: string } }) =>
        e.fault?.errorCode === 'InvalidParameters' && e.fault.message === 'protocolVersion',
    );
    await expectFault(
      'bad account name',
      call(
        uss,
        'GetAuthorizationCookie',
        encodeGetAuthorizationCookieRequest({
          accountName: 'a b<c',
          accountGuid: '6f1c2f6e-3f0b-4d3a-9b1e-0d2f6a1c5e12',
        }),
        '/DssAuthWebService/DssAuthWebService.asmx',
      ),
      'InvalidParameters',
      'accountName',
    );
    // Anchors.
    for (const bad of [
      'garbage',
      '1,2026-13-45 99:99:99.999',
      '99999999999,2026-10-04 16:33:26.670',
      '1;2026-10-04',
    ])
      await expectFault(
        `anchor ${bad}`,
        call(
          uss,
          'GetRevisionIdList',
          revisionList(c, `<Anchor>${bad}</Anchor><GetConfig>false</GetConfig>`),
        ),
        'InvalidParameters',
        'filter',
      );
    // Oversized and unknown id lists.
    const many = (n: number): UpdateIdentity[] =>
      Array.from({ length: n }, (_, i) => ({ updateId: u(i), revisionNumber: 1 }));
    await expectFault(
      '101 ids',
      call(uss, 'GetUpdateData', encodeGetUpdateDataRequest({ cookie: c, updateIds: many(101) })),
      'InvalidParameters',
      'updateIds',
    );
    await expectFault(
      'unknown id',
      call(uss, 'GetUpdateData', encodeGetUpdateDataRequest({ cookie: c, updateIds: many(1) })),
      'InternalServerError',
      '',
      'Server',
    );
    const known = { updateId: ids.defenderBundle, revisionNumber: 200 };
    await expectFault(
      'wrong revision of a known id',
      call(
        uss,
        'GetUpdateData',
        encodeGetUpdateDataRequest({ cookie: c, updateIds: [{ ...known, revisionNumber: 1 }] }),
      ),
      'InternalServerError',
      '',
      'Server',
    );
    const hugeFilter = `<GetConfig>false</GetConfig><Categories>${'<IdAndDelta><Id>8c3fcc84-7410-4a95-8b89-a166a0190486</Id><Delta>true</Delta></IdAndDelta>'.repeat(10_001)}</Categories>`;
    await expectFault(
      '10,001 filter ids',
      call(uss, 'GetRevisionIdList', revisionList(c, hugeFilter)),
      'InvalidParameters',
      'filter',
    );
    const digests = `<fileDigestList>${'<base64Binary>AAAAAAAAAAAAAAAAAAAAAAAAAAA=</base64Binary>'.repeat(101)}</fileDigestList>`;
    await expectFault(
      '101 digests',
      call(
        uss,
        'DownloadFiles',
        `<DownloadFiles xmlns="${serverSyncNs}">${cookieXml(c)}${digests}</DownloadFiles>`,
      ),
      'InvalidParameters',
      'fileDigestList',
    );
    // Still serving after all that.
    const ok = await call(
      uss,
      'GetUpdateData',
      encodeGetUpdateDataRequest({ cookie: c, updateIds: [known, known] }),
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.body.split('<ServerSyncUpdateData>').length - 1, 2, 'duplicates come back twice (REAL)');
    const related = await call(
      uss,
      'GetRelatedRevisionsForUpdates',
      `<GetRelatedRevisionsForUpdates xmlns="${serverSyncNs}">${cookieXml(c)}<updateIDs><guid>${known.updateId}</guid></updateIDs></GetRelatedRevisionsForUpdates>`,
    );
    assert.match(related.body, /<GetRelatedRevisionsForUpdatesResult ?\/>/);
    const ping = await uss.post(
      ssPath,
      wrapServerSyncRequest(
        '<Ping xmlns="http://www.microsoft.com/SoftwareDistribution/Server/IMonitorable"><pingLevel>0</pingLevel></Ping>',
      ),
      'http://www.microsoft.com/SoftwareDistribution/Server/IMonitorable/Ping',
    );
    assert.equal(ping.status, 200);
    assert.match(ping.body, /<SuccessFlag>true<\/SuccessFlag>/);
  });

  void test(`[${kind}] partial GetUpdateData answers near the byte budget; DownloadFiles queues served files, names unknown ones; content flows to a downstream through /Content/`, async (t: TestContext) => {
    const uss = await startUpstreamPatchbay(t, kind, { responseByteBudget: 3_000 });
    const bytes = randomBytes(5000);
    const sha1 = createHash('sha1').update(bytes).digest();
    const withFile = u(500);
    const sel = { prerequisites: [[ids.definitionUpdates], [ids.defender]] };
    uss.top.put({
      identity: { updateId: withFile, revisionNumber: 100 },
      text: syntheticDocument(withFile, 100, {
        ...sel,
        files: [{ name: 'payload.exe', sha1, size: bytes.length }],
      }),
      listed: true,
    });
    const padded = [1, 2, 3, 4].map((n) => u(600 + n));
    for (const id of padded)
      uss.top.put({
        identity: { updateId: id, revisionNumber: 100 },
        text: syntheticDocument(id, 100, { ...sel, padding: 40_000 }),
        listed: true,
      });
    await uss.syncFromTop();
    const c = await session(uss);

    const all = padded.map((updateId) => ({ updateId, revisionNumber: 100 }));
    const partial = await call(
      uss,
      'GetUpdateData',
      encodeGetUpdateDataRequest({ cookie: c, updateIds: all }),
    );
    assert.equal(partial.status, 200);
    const n = partial.body.split('<ServerSyncUpdateData>').length - 1;
    assert.ok(n >= 1 && n < all.length, `a partial answer (${n} of ${all.length})`);
    assert.ok(Buffer.byteLength(partial.body) < 3_000 + 20_000, 'near the budget');
    assert.match(partial.body, /<XmlUpdateBlobCompressed>/, 'large documents travel as cabinets');

    // GetUpdateDecryptionData: one entry per requested revision with files, the key null (we hold none).
    const decryption = (n: number) =>
      `<GetUpdateDecryptionData xmlns="${serverSyncNs}">${cookieXml(c)}<updateIds>${`<UpdateIdentity><UpdateID>${withFile}</UpdateID><RevisionNumber>100</RevisionNumber></UpdateIdentity>`.repeat(n)}</updateIds></GetUpdateDecryptionData>`;
    const keys = await call(uss, 'GetUpdateDecryptionData', decryption(1));
    assert.equal(keys.status, 200, keys.body);
    assert.match(
      keys.body,
      new RegExp(
        `<ServerSyncUpdateFileDecryption><UpdateId><UpdateID>${withFile}</UpdateID><RevisionNumber>100</RevisionNumber></UpdateId><FileDecryptionData><ServerSyncFileDecryption><FileDigest>${sha1.toString('base64').replaceAll('+', '\\+')}</FileDigest><DecryptionKey xsi:nil="true"`,
      ),
    );
    const tooMany = await call(uss, 'GetUpdateDecryptionData', decryption(101));
    assert.equal(tooMany.fault?.errorCode, 'InvalidParameters');
    assert.equal(tooMany.fault?.message, 'updateIds');

    const files = createRepositories(uss.db).files;
    assert.equal((await files.get(sha1))?.contentState, 'absent');
    const unknown = randomBytes(20);
    const missing = await call(
      uss,
      'DownloadFiles',
      `<DownloadFiles xmlns="${serverSyncNs}">${cookieXml(c)}<fileDigestList><base64Binary>${sha1.toString('base64')}</base64Binary><base64Binary>${unknown.toString('base64')}</base64Binary></fileDigestList></DownloadFiles>`,
    );
    assert.equal(missing.fault?.errorCode, 'FileDigestsMissing');
    assert.equal(missing.fault?.message, unknown.toString('base64'));
    assert.equal((await files.get(sha1))?.contentState, 'absent', 'a refused call queues nothing');
    const queued = await call(
      uss,
      'DownloadFiles',
      `<DownloadFiles xmlns="${serverSyncNs}">${cookieXml(c)}<fileDigestList><base64Binary>${sha1.toString('base64')}</base64Binary></fileDigestList></DownloadFiles>`,
    );
    assert.equal(queued.status, 200, queued.body);
    assert.match(
      queued.body,
      /<DownloadFilesResponse xmlns="http:\/\/www\.microsoft\.com\/SoftwareDistribution" ?\/>/,
    );
    assert.equal((await files.get(sha1))?.contentState, 'queued', 'DownloadFiles queued the file');

    // A holds the file now; B syncs from A and fetches it from A's /Content/ (same store and rules as clients).
    await uss.store.ingest([bytes], { sha1, size: bytes.length });
    await files.setState([sha1], 'verified');
    const b = await openTestDb(t, kind);
    const transport = testTransport(t);
    const r = await runSync({ db: b, transport }, { upstreamUrl: uss.serverSyncUrl, nodeId: 'b' });
    assert.equal(r.outcome, 'succeeded');
    assert.ok((await activeMembers(b)).has(`${withFile}/100`));
    const bDir = mkdtempSync(join(tmpdir(), 'pb-dss-'));
    t.after(() => rmSync(bDir, { recursive: true, force: true }));
    const bStore = await FsContentStore.open(bDir);
    const d = await downloadAndAnnounce(
      { db: b, store: bStore, transport, logger: silentLogger },
      { upstreamUrl: uss.serverSyncUrl, mode: 'all' },
    );
    assert.ok(d.filesDownloaded === 1, JSON.stringify(d));
    assert.equal((await createRepositories(b).files.get(sha1))?.contentState, 'verified');
    const h = await bStore.open(sha1.toString('hex'));
    assert.ok(h !== undefined, 'the file is in B\u2019s store');
    await h.close();
  });
}
