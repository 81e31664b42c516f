/**
 * Every request of wsus-m0-wsusss/exchanges (a real WS2025 downstream-style client talking to a real WS2025
 * upstream) sent to Patchbay-as-upstream, whose catalog the sync engine imported from the real documents, and
 * the answers compared with the real upstream's after this normalization (docs/upstream.md §Tests):
 *
 * - cookies spliced: the sanitized (zeroed) `CookieData` / `EncryptedData` of a request are replaced by the
 *   ones Patchbay minted earlier in the same replay; their values, `Expiration`, `LastChange`, fault `ID` and
 *   the host:port of `faultactor` are compared by shape only;
 * - anchors spliced: an anchor the real upstream handed out is replaced by the one Patchbay handed out at the
 *   same step; anchors are compared by format (`<counter>,<yyyy-MM-dd HH:mm:ss.fff>`);
 * - element names, order, namespaces and every other text are compared exactly;
 * - revision lists: the real answers were trimmed to 30 identities and list several revisions per category
 *   (a WS2025 divergence, docs/protocol/server-sync.md §2.3): compared as "highest revision per id", every id
 *   we hold that the real answer lists comes back with the same revision, counts where the real count is 0;
 * - blobs: plain stays plain and compressed stays compressed; both cabinets are decoded by `cabextract`, and
 *   the documents must be equal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseXml, type XmlElement } from '../../../src/protocol/xml/index.js';
import { requireCabextract, runCabextract } from '../../helpers/cabextract.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { ids } from '../../helpers/fake-upstream/real-catalog.js';
import { activeMembers, type DbKind } from '../sync/harness.js';
import { startUpstreamPatchbay, type UpstreamPatchbay } from './harness.js';

const dir = fixturePath('wsus', 'wsus-m0-wsusss', 'exchanges');

interface Exchange {
  readonly n: string;
  readonly path: string;
  readonly soapAction: string;
  readonly status: number;
  readonly request: string;
  readonly response: string;
}

function exchanges(): Exchange[] {
  return readdirSync(dir)
    .filter((n) => /^\d{6}$/.test(n))
    .map((n) => {
      const meta = JSON.parse(readFileSync(join(dir, n, 'meta.json'), 'utf8')) as {
        path: string;
        soap_action: string;
        status: number;
      };
      return {
        n,
        path: meta.path,
        soapAction: meta.soap_action,
        status: meta.status,
        request: readFileSync(join(dir, n, 'request.body'), 'utf8'),
        response: readFileSync(join(dir, n, 'response.body'), 'utf8'),
      };
    });
}

/** Elements whose text is volatile (compared by shape); the value is the pattern the text must match. */
const volatile: Record<string, RegExp> = {
  Expiration: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$/,
  LastChange: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$/,
  EncryptedData: /^[A-Za-z0-9+/]{40,}={0,2}$/,
  CookieData: /^[A-Za-z0-9+/]{40,}={0,2}$/,
  NewConfigAnchor: /^\d{1,10},\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/,
  Anchor: /^\d{1,10},\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/,
  ID: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  faultactor: /^http:\/\/[^/]+\/ServerSyncWebService\/ServerSyncWebService\.asmx$/,
};

const textOf = (e: XmlElement): string => e.children.map((c) => (c.kind === 'text' ? c.text : '')).join('');

/** The canonical form: one line per element, `{ns}name` path and its text (volatile text checked and masked). */
function canonical(e: XmlElement, blobs: string[], path = ''): string[] {
  const here = `${path}/{${e.uri}}${e.local}`;
  const kids = e.children.filter((c): c is XmlElement => c.kind === 'element');
  if (e.local === 'NewRevisions') return [`${here} [list]`];
  if (e.local === 'XmlUpdateBlob' || e.local === 'XmlUpdateBlobCompressed') {
    blobs.push(`${e.local}:${textOf(e)}`);
    return [`${here} [blob]`];
  }
  if (kids.length > 0) return [here, ...kids.flatMap((k) => canonical(k, blobs, here))];
  const t = textOf(e);
  const pattern = volatile[e.local];
  if (pattern !== undefined) {
    assert.match(t, pattern, `${here} has the real shape`);
    return [`${here} = *`];
  }
  return [`${here} = ${t}`];
}

function revisionsOf(body: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of body.matchAll(/<UpdateID>([^<]+)<\/UpdateID><RevisionNumber>(\d+)<\/RevisionNumber>/g))
    m.set(x[1]!, Math.max(m.get(x[1]!) ?? 0, Number(x[2])));
  return m;
}

/** The document a blob carries: plain text as is, a cabinet through cabextract (the oracle). */
function documentOf(blob: string, tmp: string): { kind: string; text: string } {
  const [kind, ...rest] = blob.split(':');
  const value = rest.join(':');
  if (kind === 'XmlUpdateBlob') return { kind: 'plain', text: value };
  const file = join(tmp, `blob-${Math.random().toString(36).slice(2)}.cab`);
  writeFileSync(file, Buffer.from(value, 'base64'));
  const r = runCabextract(file);
  assert.ok(r.ok, `cabextract reads the cabinet: ${r.stderr}`);
  assert.equal(r.members.length, 1);
  assert.equal(r.members[0]!.listedName.toString('latin1'), 'blob');
  return { kind: 'compressed', text: r.data.toString('utf16le') };
}

class Replay {
  cookieData = '';
  encryptedData = '';
  configAnchor = '';
  anchor = '';
  constructor(readonly uss: UpstreamPatchbay) {}

  splice(body: string): string {
    return body
      .replace(/<CookieData>[^<]*<\/CookieData>/g, `<CookieData>${this.cookieData}</CookieData>`)
      .replace(
        /<EncryptedData>[^<]*<\/EncryptedData>/g,
        `<EncryptedData>${this.encryptedData}</EncryptedData>`,
      )
      .replace(/<configAnchor>[^<]*<\/configAnchor>/g, `<configAnchor>${this.configAnchor}</configAnchor>`)
      .replace(/<Anchor>[^<]*<\/Anchor>/g, `<Anchor>${this.anchor}</Anchor>`);
  }

  learn(body: string): void {
    this.cookieData = /<CookieData>([^<]+)<\/CookieData>/.exec(body)?.[1] ?? this.cookieData;
    this.encryptedData = /<EncryptedData>([^<]+)<\/EncryptedData>/.exec(body)?.[1] ?? this.encryptedData;
    this.configAnchor = /<NewConfigAnchor>([^<]+)<\/NewConfigAnchor>/.exec(body)?.[1] ?? this.configAnchor;
    this.anchor = /<Anchor>([^<]+)<\/Anchor>/.exec(body)?.[1] ?? this.anchor;
  }

  async send(x: Exchange, body = this.splice(x.request)): Promise<{ status: number; body: string }> {
    const r = await this.uss.post(x.path, body, x.soapAction);
    this.learn(r.body);
    return r;
  }
}

export function replayScenario(kind: DbKind): void {
  void test(
    `[${kind}] every real WS2025 downstream request gets the real upstream's answer, normalized`,
    {
      skip: requireCabextract(),
    },
    async (t: TestContext) => {
      const uss = await startUpstreamPatchbay(t, kind);
      const tmp = mkdtempSync(join(tmpdir(), 'pb-replay-'));
      t.after(() => rmSync(tmp, { recursive: true, force: true }));
      const held = new Map<string, number>();
      for (const k of await activeMembers(uss.db)) {
        const [id, rev] = k.split('/');
        held.set(id!, Math.max(held.get(id!) ?? 0, Number(rev)));
      }
      const replay = new Replay(uss);
      const all = exchanges();
      assert.equal(all.length, 15, 'every captured exchange is replayed');
      for (const x of all) {
        // 000004 is GetConfigData with a current anchor: the anchor is ours from the 000005-style call.
        if (x.n === '000004') {
          const first = x.request.replace(/<configAnchor>[^<]*<\/configAnchor>/, '');
          await replay.send(x, replay.splice(first));
        }
        const r = await replay.send(x);
        assert.equal(r.status, x.status, `${x.n} HTTP status`);
        const blobsReal: string[] = [];
        const blobsOurs: string[] = [];
        const real = canonical(parseXml(x.response), blobsReal);
        const ours = canonical(parseXml(r.body), blobsOurs);
        assert.deepEqual(ours, real, `${x.n} ${x.soapAction}: same elements, order, namespaces and values`);

        assert.equal(blobsOurs.length, blobsReal.length, `${x.n} blob count`);
        for (let i = 0; i < blobsReal.length; i++) {
          const a = documentOf(blobsReal[i]!, tmp);
          const b = documentOf(blobsOurs[i]!, tmp);
          assert.equal(b.kind, a.kind, `${x.n}: ${a.kind} as WS2025 sends it`);
          assert.equal(b.text, a.text, `${x.n}: the original document`);
        }

        if (x.soapAction.endsWith('/GetRevisionIdList') && x.status === 200) {
          const realList = revisionsOf(x.response);
          const ourList = revisionsOf(r.body);
          if (realList.size === 0) assert.equal(ourList.size, 0, `${x.n}: nothing, as WS2025`);
          else assert.ok(ourList.size > 0, `${x.n}: revisions listed`);
          for (const [id, rev] of realList)
            if (held.has(id)) assert.equal(ourList.get(id), rev, `${x.n}: ${id} at its highest revision`);
          for (const [id, rev] of ourList)
            assert.equal(held.get(id), rev, `${x.n}: ${id} is served at r${rev}`);
          if (/<GetConfig>false/.test(x.request) && ourList.size > 0)
            assert.ok(ourList.has(ids.defenderBundle) && !ourList.has(ids.productOnlyLeaf));
        }
      }

      // Anchors: ours + Delta=true is current (nothing), ours + Delta=false everything again (REAL 000010/000011).
      const x10 = all.find((x) => x.n === '000010')!;
      const current = await replay.send(
        x10,
        replay.splice(x10.request).replaceAll('<Delta>false</Delta>', '<Delta>true</Delta>'),
      );
      assert.equal(revisionsOf(current.body).size, 0, 'a current anchor with Delta=true returns nothing');
      const again = await replay.send(x10);
      assert.ok(revisionsOf(again.body).has(ids.defenderBundle), 'Delta=false returns everything again');
    },
  );
}
