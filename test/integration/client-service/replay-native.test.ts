/**
 * Replays every captured request of the real Windows client (wsus-m0-native scan + flow) and of the scripted
 * driver (wsus-m0) against a real Patchbay server, and compares the answers with WS2025's.
 *
 * Catalog: the 8 real update documents of wsus-m0-wsusss/docs, parsed and derived by the production code,
 * plus SYNTHETIC revisions (test/helpers/seed-catalog.ts closeCatalog) for the prerequisite and bundle-member
 * identities the fixtures lack (docs/protocol/captures.md §4.2).
 *
 * Request rewriting: the captured cookies are zeroed, so Patchbay's own handshake runs first (same client id as
 * the capture) and its cookie is spliced into every request (`<cookie>`, `<CookieData>`, `<lastChange>`).
 * Revision ids are WS2025's: each is translated to ours through the (UpdateID, RevisionNumber) the Core
 * fragments of the captured responses assign to it; ids whose identity is not in our catalog are dropped.
 *
 * Normalization when comparing (documented here, applied by `shape`): elements by local name in document
 * order (namespaces checked separately on the operation element), text dropped except where a test compares
 * values: the seven Deployment fields (names and order on every UpdateInfo), IsLeaf, Action, Truncated,
 * DriverSyncNotNeeded, the updates' identities where both servers hold the same catalog slice (the scan's
 * category chain), fragments through normalizeFragment, fault detail names and ErrorCode/Message.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'undici';
import { decodeSoapEnvelope } from '../../../src/protocol/soap/index.js';
import { decodeXpressBody } from '../../../src/protocol/xpress/index.js';
import { parseXml, type XmlElement } from '../../../src/protocol/xml/index.js';
import { fixturePath, readFixture } from '../../helpers/fixtures.js';
import { normalizeFragment } from '../../helpers/fragment-normalize.js';
import { closeCatalog, revisionFromDocument, seedGeneration } from '../../helpers/seed-catalog.js';
import { dialects, startHarness, type Harness } from './harness.js';
import { clientNs, cookieXml, kid, kids, text, WuspClient } from './wusp-client.js';

const docsDir = fixturePath('wsus', 'wsus-m0-wsusss', 'docs');
const deploymentFields = [
  'ID',
  'Action',
  'IsAssigned',
  'LastChangeTime',
  'AutoSelect',
  'AutoDownload',
  'SupersedenceBehavior',
];

function exchanges(set: string): string[] {
  return readdirSync(fixturePath('wsus', ...set.split('/')), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `${set}/${d.name}`)
    .sort();
}

const read = (ex: string, file: string): string =>
  readFixture('wsus', ...ex.split('/'), file).toString('utf8');
const payload = (body: string): XmlElement => decodeSoapEnvelope(body).payload;

function shape(el: XmlElement): string[] {
  const out: string[] = [];
  const walk = (e: XmlElement, path: string): void => {
    const p = `${path}/${e.local}`;
    out.push(p);
    for (const c of kids(e)) walk(c, p);
  };
  walk(el, '');
  return out;
}

/** WS2025 revision id -> (update id, revision number), from every Core fragment in the captured answers. */
function learnIdentities(): Map<number, string> {
  const map = new Map<number, string>();
  for (const set of ['wsus-m0-native/scan', 'wsus-m0-native/flow', 'wsus-m0'])
    for (const ex of exchanges(set)) {
      const body = read(ex, 'response.body');
      if (!body.includes('<UpdateInfo>')) continue;
      for (const u of payload(body).children.length ? collect(payload(body), 'UpdateInfo') : []) {
        const m = /UpdateIdentity UpdateID="([^"]+)" RevisionNumber="(\d+)"/.exec(text(kid(u, 'Xml')));
        if (m) map.set(Number(text(kid(u, 'ID'))), `${m[1]!.toLowerCase()}|${m[2]}`);
      }
    }
  return map;
}

function collect(el: XmlElement, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of kids(el)) {
    if (c.local === local) out.push(c);
    else out.push(...collect(c, local));
  }
  return out;
}

interface Replayer {
  h: Harness;
  client: WuspClient;
  realToOurs: (realId: number) => number | undefined;
  /**
   * `native`: with the captured request headers as WUA sent them (Accept-Encoding: xpress, …); the answer
   * must be Xpress and decode to exactly what the same request gets identity-encoded, cookies aside.
   */
  send(
    ex: string,
    opts?: { native?: boolean },
  ): Promise<{ status: number; body: string; ours: XmlElement; real: XmlElement }>;
}

/** The captured request's headers, minus the ones the HTTP client sets itself. */
function capturedHeaders(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of raw.split(/\r?\n/).slice(1)) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m && !['host', 'content-length', 'connection'].includes(m[1]!.toLowerCase()))
      out[m[1]!.toLowerCase()] = m[2]!;
  }
  return out;
}

/** Cookies are encrypted afresh on every call; everything else in the two answers must be equal. */
const withoutCookies = (body: string): string =>
  body.replace(/<(EncryptedData|Expiration|CookieData)>[^<]*<\/\1>/g, '<$1/>');

async function replayer(
  t: Parameters<typeof startHarness>[0],
  dialect: 'sqlite' | 'postgres',
  clientId: string,
): Promise<Replayer> {
  const real = readdirSync(docsDir).map((f) => revisionFromDocument(readFileSync(`${docsDir}/${f}`, 'utf8')));
  const all = [...real, ...closeCatalog(real)];
  let ids = new Map<string, number>();
  const h = await startHarness(t, dialect, {
    seed: async ({ handle }) => {
      ids = (await seedGeneration(handle, all, Date.parse('2026-10-04T12:00:00Z'))).ids;
    },
  });
  const identities = learnIdentities();
  const realToOurs = (realId: number): number | undefined => {
    const key = identities.get(realId);
    return key === undefined ? undefined : ids.get(key);
  };
  const client = new WuspClient(h, clientId);
  await client.handshake();
  const translateList = (xml: string, name: string): string =>
    xml.replace(new RegExp(`<${name}>(.*?)</${name}>`, 's'), (_m, inner: string) => {
      const mapped = [...inner.matchAll(/<int>(\d+)<\/int>/g)]
        .map((m) => realToOurs(Number(m[1])))
        .filter((x): x is number => x !== undefined);
      return `<${name}>${mapped.map((x) => `<int>${x}</int>`).join('')}</${name}>`;
    });
  return {
    h,
    client,
    realToOurs,
    async send(ex, opts = {}) {
      let body = read(ex, 'request.body');
      const headers = read(ex, 'request.headers');
      const action = /soapaction:\s*(.+)/i.exec(headers)?.[1]?.trim() ?? '';
      const path = /^POST (\S+)/m.exec(headers)?.[1] ?? '';
      body = body.replace(/<cookie>.*?<\/cookie>/s, cookieXml(client.cookie!));
      body = body.replace(/<lastChange>[^<]*<\/lastChange>/, `<lastChange>${client.lastChange}</lastChange>`);
      for (const n of ['InstalledNonLeafUpdateIDs', 'OtherCachedUpdateIDs', 'revisionIDs'])
        body = translateList(body, n);
      if (body.includes('<GetCookie ')) {
        const auth = await client.call(
          '/SimpleAuthWebService/SimpleAuth.asmx',
          'GetAuthorizationCookie',
          'http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService',
          `<clientId>${clientId}</clientId><dnsName>x</dnsName>`,
        );
        const data = text(kid(kid(auth, 'GetAuthorizationCookieResult')!, 'CookieData'));
        body = body.replace(/<CookieData>[^<]*<\/CookieData>/, `<CookieData>${data}</CookieData>`);
      }
      let r: { status: number; body: string } = await h.post(path, body, { soapaction: action });
      if (opts.native === true) {
        const res = await request(`${h.baseUrl}${path}`, {
          method: 'POST',
          body,
          headers: capturedHeaders(headers),
        });
        const wire = Buffer.from(await res.body.arrayBuffer());
        assert.equal(res.headers['content-encoding'], 'xpress', `${ex}: WS2025 answered xpress (meta.json)`);
        assert.equal(res.headers['vary'], 'Accept-Encoding', ex);
        assert.equal(
          res.headers['content-length'],
          String(wire.length),
          `${ex}: Content-Length is the wire size`,
        );
        const decoded = decodeXpressBody(wire).toString('utf8');
        assert.equal(res.statusCode, r.status, ex);
        assert.equal(withoutCookies(decoded), withoutCookies(r.body), `${ex}: decoded = identity answer`);
        assert.ok(wire.length < Buffer.byteLength(decoded) || wire.length < 400, `${ex}: compressed`);
        r = { status: res.statusCode, body: decoded };
      }
      // Keep the newest cookie, as the client does.
      const nc =
        /<(?:NewCookie|GetCookieResult)><Expiration>([^<]+)<\/Expiration><EncryptedData>([^<]+)<\/EncryptedData>/.exec(
          r.body,
        );
      if (r.status === 200 && nc) client.cookie = { expiration: nc[1]!, data: nc[2]! };
      return {
        status: r.status,
        body: r.body,
        ours: payload(r.body),
        real: payload(read(ex, 'response.body')),
      };
    },
  };
}

function assertUpdateInfos(ours: XmlElement): void {
  for (const u of collect(ours, 'UpdateInfo')) {
    assert.deepEqual(
      kids(u).map((k) => k.local),
      ['ID', 'Deployment', 'IsLeaf', 'Xml'],
    );
    assert.deepEqual(
      kids(kid(u, 'Deployment')!).map((k) => k.local),
      deploymentFields,
    );
    assert.match(text(kid(kid(u, 'Deployment')!, 'LastChangeTime')), /^\d{4}-\d{2}-\d{2}$/);
  }
}

const identityOf = (u: XmlElement): string => {
  const m = /UpdateIdentity UpdateID="([^"]+)" RevisionNumber="(\d+)"/.exec(text(kid(u, 'Xml')))!;
  return `${m[1]!.toLowerCase()}|${m[2]}`;
};

for (const { dialect, skip } of dialects) {
  void describe(`replay of the real Windows client (${dialect})`, { skip }, () => {
    void test('wsus-m0-native/scan: same shapes, same category chain one level per round, same fragments', async (t) => {
      const r = await replayer(t, dialect, 'e1da06a3-5601-43c9-bac3-52d5db701494');
      let comparedUpdates = 0;
      let comparedFragments = 0;
      const scan = exchanges('wsus-m0-native/scan');
      assert.equal(scan.length, 9);
      for (const ex of scan) {
        const { status, ours, real } = await r.send(ex);
        assert.equal(status, 200, `${ex}: ${ours.local}`);
        assert.equal(ours.local, real.local, ex);
        assert.equal(ours.uri, real.uri, ex);
        const op = real.local;
        if (op === 'SyncUpdatesResponse') {
          const o = kid(ours, 'SyncUpdatesResult')!;
          const w = kid(real, 'SyncUpdatesResult')!;
          assertUpdateInfos(ours);
          assert.deepEqual(
            kids(o).map((k) => k.local),
            kids(w).map((k) => k.local),
            ex,
          );
          const ou = collect(o, 'UpdateInfo');
          const wu = collect(w, 'UpdateInfo');
          assert.deepEqual(ou.map(identityOf), wu.map(identityOf), `${ex}: the same revisions`);
          comparedUpdates += ou.length;
          assert.deepEqual(
            ou.map((u) => text(kid(u, 'IsLeaf'))),
            wu.map((u) => text(kid(u, 'IsLeaf'))),
            ex,
          );
          assert.deepEqual(
            ou.map((u) => text(kid(kid(u, 'Deployment')!, 'Action'))),
            wu.map((u) => text(kid(kid(u, 'Deployment')!, 'Action'))),
            ex,
          );
          for (const f of ['Truncated', 'DriverSyncNotNeeded'])
            assert.equal(text(kid(o, f)), text(kid(w, f)), `${ex} ${f}`);
          // Fragments derived from the real documents equal the real server's Core fragments.
          ou.forEach((u, i) =>
            assert.equal(normalizeFragment(text(kid(u, 'Xml'))), normalizeFragment(text(kid(wu[i]!, 'Xml')))),
          );
        } else if (op === 'GetExtendedUpdateInfoResponse') {
          const ofr = collect(ours, 'Update');
          const wfr = collect(real, 'Update');
          assert.equal(ofr.length, wfr.length);
          wfr.forEach((w, i) => {
            assert.equal(Number(text(kid(ofr[i]!, 'ID'))), r.realToOurs(Number(text(kid(w, 'ID')))));
            assert.equal(
              normalizeFragment(text(kid(ofr[i]!, 'Xml'))),
              normalizeFragment(text(kid(w, 'Xml'))),
            );
            comparedFragments++;
          });
          assert.deepEqual(shape(ours), shape(real));
        } else {
          // GetConfig, GetAuthorizationCookie, GetCookie, RegisterComputer, StartCategoryScan: identical shapes.
          assert.deepEqual(shape(ours), shape(real), ex);
          if (op === 'StartCategoryScanResponse')
            assert.equal(
              text(kid(kid(ours, 'preferredCategoryIds')!, 'guid')),
              'dd78b8a1-0b20-45c1-add6-4da72e9364cf',
            );
        }
      }
      // Microsoft -> Windows -> OOBE ZDP, one per round (REAL), and 6 fragments (3 Extended + 3 localized).
      assert.equal(comparedUpdates, 3);
      assert.equal(comparedFragments, 6);
    });

    void test('wsus-m0-native/flow and wsus-m0: every answer well-formed in the WS2025 shape; reports answer true', async (t) => {
      for (const [set, clientId] of [
        ['wsus-m0-native/flow', 'e1da06a3-5601-43c9-bac3-52d5db701494'],
        ['wsus-m0', '992ff43e-9bbb-4e77-a850-9d01d0e632b4'],
      ] as const) {
        const r = await replayer(t, dialect, clientId);
        for (const ex of exchanges(set)) {
          const { status, ours, real } = await r.send(ex);
          assert.equal(status, 200, `${ex} ${ours.local}`);
          assert.equal(ours.local, real.local, ex);
          assert.equal(ours.uri, real.uri, ex);
          if (real.local === 'SyncUpdatesResponse') {
            assertUpdateInfos(ours);
            const order = [
              'NewUpdates',
              'OutOfScopeRevisionIDs',
              'ChangedUpdates',
              'Truncated',
              'NewCookie',
              'DriverSyncNotNeeded',
            ];
            const names = kids(kid(ours, 'SyncUpdatesResult')!).map((k) => k.local);
            assert.deepEqual(
              names,
              order.filter((n) => names.includes(n)),
              `${ex}: WSDL order`,
            );
            for (const n of ['Truncated', 'NewCookie', 'DriverSyncNotNeeded'])
              assert.ok(names.includes(n), `${ex} ${n}`);
            const driverPass = read(ex, 'request.body').includes('<SkipSoftwareSync>true');
            if (driverPass) {
              assert.equal(text(kid(kid(ours, 'SyncUpdatesResult')!, 'DriverSyncNotNeeded')), 'true');
              assert.ok(!names.includes('NewUpdates'));
            }
          } else {
            assert.deepEqual(shape(ours), shape(real), ex);
          }
          if (real.local === 'ReportEventBatchResponse')
            assert.equal(text(kid(ours, 'ReportEventBatchResult')), 'true');
        }
        if (set === 'wsus-m0-native/flow') {
          const events = await r.h.repos.clientEvents.listForComputer(clientId);
          assert.equal(events.length, 4 + 9 + 2, 'the 15 native events are stored');
        }
      }
    });

    void test('native request headers (Accept-Encoding: xpress): every answer Xpress, as WS2025 sent them', async (t) => {
      for (const [set, clientId] of [
        ['wsus-m0-native/scan', 'e1da06a3-5601-43c9-bac3-52d5db701494'],
        ['wsus-m0-native/flow', 'e1da06a3-5601-43c9-bac3-52d5db701494'],
      ] as const) {
        const r = await replayer(t, dialect, clientId);
        for (const ex of exchanges(set)) {
          const { status, ours, real } = await r.send(ex, { native: true });
          assert.equal(status, 200, ex);
          assert.equal(ours.local, real.local, ex);
        }
      }
    });

    void test('the 400-id cap: 401 InstalledNonLeafUpdateIDs is InvalidParameters in the WS2025 fault shape', async (t) => {
      const r = await replayer(t, dialect, '992ff43e-9bbb-4e77-a850-9d01d0e632b4');
      const ids = Array.from({ length: 401 }, (_, i) => `<int>${i + 1}</int>`).join('');
      const body = read('wsus-m0/000070', 'request.body')
        .replace(/<cookie>.*?<\/cookie>/s, cookieXml(r.client.cookie!))
        .replace(
          /<InstalledNonLeafUpdateIDs>.*?<\/InstalledNonLeafUpdateIDs>/s,
          `<InstalledNonLeafUpdateIDs>${ids}</InstalledNonLeafUpdateIDs>`,
        );
      const res = await r.h.post('/ClientWebService/client.asmx', body, {
        soapaction: `"${clientNs}/SyncUpdates"`,
      });
      assert.equal(res.status, 500);
      assert.equal(res.headers['connection'], 'close');
      assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)));
      const ours = payload(res.body);
      // wsus-m0 exchange 000141 is WS2025's answer to this request; its body is unpublished, the manifest
      // keeps its size. Ours has that size, the client-service shape: no faultactor, a bare <s:Body>.
      const manifest = JSON.parse(read('wsus-m0', 'sanitize-manifest.json')) as {
        exchanges: { exchange: string; files: Record<string, { original_size: number }> }[];
      };
      const real = manifest.exchanges.find((x) => x.exchange === '000141')!.files['response.body']!;
      assert.equal(Buffer.byteLength(res.body), real.original_size);
      assert.ok(res.body.includes('<s:Body><s:Fault>'), res.body);
      assert.deepEqual(shape(ours), [
        '/Fault',
        '/Fault/faultcode',
        '/Fault/faultstring',
        '/Fault/detail',
        '/Fault/detail/ErrorCode',
        '/Fault/detail/Message',
        '/Fault/detail/ID',
        '/Fault/detail/Method',
      ]);
      const detail = kid(ours, 'detail')!;
      assert.equal(text(kid(detail, 'ErrorCode')), 'InvalidParameters');
      assert.equal(text(kid(detail, 'Message')), 'parameters.InstalledNonLeafUpdateIDs');
      assert.equal(text(kid(detail, 'Method')), `"${clientNs}/SyncUpdates"`);
      assert.equal(text(kid(ours, 'faultcode')), 's:Client');
      assert.equal(kid(ours, 'faultactor'), undefined);
      assert.ok(parseXml(res.body));
    });
  });
}
