import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAppError } from '../../../src/errors.js';
import {
  clientNs,
  clientWsLimitsFor,
  decodeSyncUpdatesRequest,
  defaultClientWsLimits,
  parseClientRequestXml,
  streamedRevisionIds,
  type ClientWsLimits,
} from '../../../src/protocol/client-ws/index.js';
import { decodeSoapRequest, readArray } from '../../../src/protocol/soap/index.js';
import { parseRevisionId } from '../../../src/protocol/client-ws/wire.js';
import { parseXml, soapRequestLimits, type XmlElement } from '../../../src/protocol/xml/index.js';
import { createRng, fuzzLoop, type Rng } from '../../helpers/fuzz.js';
import { seedsFor } from '../../fuzz/client-ws-fuzz.js';
import { requestBytes } from './support.js';

/**
 * Differential test of the SyncUpdates streaming reader (sync-updates-stream.ts) against the tree path:
 * for every real SyncUpdates request and for mutations of them, decoding through parseClientRequestXml
 * gives the same SoapRequest + decoded SyncUpdatesRequest, or the same error (code, parameter, message), as
 * parseXml does; and the streamed tree is the parseXml tree with only the streamed lists emptied, their ids
 * equal to what readArray reads from the full list. Iterations: PATCHBAY_SYNC_STREAM_FUZZ_ITERATIONS
 * (default 16,000, ~15 s on the 2-core box), seed PATCHBAY_SYNC_STREAM_FUZZ_SEED.
 */
const iterations = Number(process.env['PATCHBAY_SYNC_STREAM_FUZZ_ITERATIONS'] ?? 16_000);
const seed = Number(process.env['PATCHBAY_SYNC_STREAM_FUZZ_SEED'] ?? 0x57e4);

const contentType = 'text/xml; charset=utf-8';

/** Every real SyncUpdates request in the fixtures. */
const realSyncUpdates = [
  'wsus-m0-native/scan/000006',
  'wsus-m0-native/scan/000007',
  'wsus-m0-native/scan/000008',
  'wsus-m0-native/scan/000009',
  'wsus-m0-native/flow/000001',
  'wsus-m0-native/flow/000003',
  'wsus-m0-native/flow/000013',
  'wsus-m0-native/flow/000014',
  'wsus-m0/000005',
  'wsus-m0/000070',
];

type Outcome =
  | { ok: true; operation: string; request?: unknown }
  | { ok: false; code: string; parameter: unknown; message: string };

function outcome(body: Buffer, limits: ClientWsLimits, stream: ClientWsLimits | undefined): Outcome {
  try {
    const soap = decodeSoapRequest({
      body,
      contentType,
      ...(stream ? { parse: (b, l) => parseClientRequestXml(b, l, stream) } : {}),
    });
    const op = soap.payload;
    if (op.uri !== clientNs || op.local !== 'SyncUpdates') return { ok: true, operation: op.local };
    return { ok: true, operation: op.local, request: decodeSyncUpdatesRequest(op, limits) };
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { ok: false, code: e.code, parameter: e.detail?.['parameter'], message: e.message };
  }
}

/**
 * Walks the streamed tree beside the full one: equal everywhere, except that a streamed list is empty in
 * the streamed tree and its ids equal readArray over the full list. Returns how many lists were streamed.
 */
function compareTrees(full: XmlElement, part: XmlElement, limits: ClientWsLimits, path = ''): number {
  const here = `${path}/${part.local}`;
  assert.equal(part.uri, full.uri, here);
  assert.equal(part.local, full.local, here);
  assert.equal(part.prefix, full.prefix, here);
  assert.deepEqual(part.attributes, full.attributes, here);
  const ids = streamedRevisionIds(part);
  if (ids !== undefined) {
    assert.equal(part.children.length, 0, `${here}: a streamed list keeps no children`);
    const parent: XmlElement = { ...full, children: [full] };
    assert.deepEqual(
      ids,
      readArray(parent, full.uri, full.local, here, parseRevisionId, { maxLength: 1e9 }),
      `${here}: streamed ids`,
    );
    assert.ok(ids.length <= maxOf(full.local, limits), `${here}: streamed beyond the limit`);
    return 1;
  }
  assert.equal(part.children.length, full.children.length, `${here}: child count`);
  let streamed = 0;
  for (let i = 0; i < full.children.length; i++) {
    const f = full.children[i]!;
    const p = part.children[i]!;
    assert.equal(p.kind, f.kind, here);
    if (f.kind === 'text') assert.deepEqual(p, f, here);
    else streamed += compareTrees(f, p as XmlElement, limits, here);
  }
  return streamed;
}

function maxOf(local: string, limits: ClientWsLimits): number {
  if (local === 'InstalledNonLeafUpdateIDs') return limits.maxInstalledNonLeafIds;
  if (local === 'OtherCachedUpdateIDs') return limits.maxOtherCachedIds;
  return limits.maxCachedDriverIds;
}

/** Both paths on one body; returns 'streamed' when at least one list took the stream, else 'tree'. */
function differential(
  body: Buffer,
  limits: ClientWsLimits = defaultClientWsLimits,
  stream: ClientWsLimits = limits,
): string {
  const tree = outcome(body, limits, undefined);
  const streamedOutcome = outcome(body, limits, stream);
  assert.deepStrictEqual(streamedOutcome, tree);
  let full: XmlElement;
  try {
    full = parseXml(body, soapRequestLimits);
  } catch {
    assert.throws(() => parseClientRequestXml(body, soapRequestLimits, stream));
    return `tree:${tree.ok ? 'ok' : tree.code}`;
  }
  const part = parseClientRequestXml(body, soapRequestLimits, stream);
  const n = compareTrees(full, part, stream);
  return `${n > 0 ? 'streamed' : 'tree'}:${tree.ok ? 'ok' : tree.code}`;
}

/** Replaces the content of the first `<name>…</name>` list in `body` by `items` ints. */
function withList(
  body: Buffer,
  name: string,
  items: number,
  item = (i: number): string => `${i + 1}`,
): Buffer {
  const s = body.toString('utf8');
  const re = new RegExp(`<${name}>.*?</${name}>|<${name}/>`, 's');
  assert.ok(re.test(s), `no ${name} in the body`);
  const list = Array.from({ length: items }, (_, i) => `<int>${item(i)}</int>`).join('');
  return Buffer.from(s.replace(re, `<${name}>${list}</${name}>`));
}

void test('every real SyncUpdates request decodes the same through the stream and the tree', () => {
  let streamedBodies = 0;
  for (const ex of realSyncUpdates) {
    const body = requestBytes(ex);
    const result = differential(body);
    assert.match(result, /:ok$/, ex);
    const tree = outcome(body, defaultClientWsLimits, undefined);
    assert.ok(tree.ok && tree.request !== undefined, `${ex} is a SyncUpdates request`);
    const req = tree.request as ReturnType<typeof decodeSyncUpdatesRequest>;
    const hasIds =
      (req.installedNonLeafRevisionIds?.length ?? 0) + (req.otherCachedRevisionIds?.length ?? 0) > 0;
    // Every real body with ids must actually take the stream, or this test compares the tree with itself.
    if (hasIds) {
      assert.equal(result, 'streamed:ok', `${ex} did not take the stream`);
      streamedBodies++;
    }
  }
  assert.ok(streamedBodies >= 6, `only ${streamedBodies} real bodies carry ids`);
});

void test('the id-list limits and errors are the tree decoder’s, the 400-entry installed cap first', () => {
  const base = requestBytes('wsus-m0-native/flow/000001');
  // 400 installed ids pass, 401 fail naming the parameter — even with a bad cookie and a bad other list.
  assert.equal(differential(withList(base, 'InstalledNonLeafUpdateIDs', 400)), 'streamed:ok');
  const over = withList(
    withList(base, 'InstalledNonLeafUpdateIDs', 401),
    'OtherCachedUpdateIDs',
    3,
    () => 'x',
  ).toString('utf8');
  const badCookie = Buffer.from(over.replace(/<EncryptedData>[^<]*/, '<EncryptedData>!!'));
  assert.equal(differential(badCookie), 'tree:PB_ERR_INVALID_PARAMETER');
  const o = outcome(badCookie, defaultClientWsLimits, defaultClientWsLimits);
  assert.ok(!o.ok && o.parameter === 'parameters.InstalledNonLeafUpdateIDs', JSON.stringify(o));

  // Bad items, each left to the tree decoder: the same parameter-named error.
  for (const bad of ['0', '-1', '2147483648', '', ' 7 ', '1e3', '&#49;', '12<x/>']) {
    const body = withList(base, 'OtherCachedUpdateIDs', 5, (i) => (i === 3 ? bad : `${i + 1}`));
    const r = differential(body);
    assert.ok(r === 'tree:PB_ERR_INVALID_PARAMETER' || r.endsWith(':ok'), `${JSON.stringify(bad)}: ${r}`);
  }
  // Tighter limits on the decoder than on the reader: the decoder still counts.
  const small = clientWsLimitsFor({ maxOtherCachedIds: 4 });
  assert.equal(
    differential(withList(base, 'OtherCachedUpdateIDs', 5), small, defaultClientWsLimits),
    'streamed:PB_ERR_INVALID_PARAMETER',
  );
  assert.equal(
    differential(withList(base, 'OtherCachedUpdateIDs', 5), small),
    'tree:PB_ERR_INVALID_PARAMETER',
  );
  assert.equal(differential(withList(base, 'OtherCachedUpdateIDs', 4), small), 'streamed:ok');
});

void test('unusual list shapes take the tree path and decode the same', () => {
  const base = requestBytes('wsus-m0-native/flow/000001').toString('utf8');
  const variants: Record<string, string> = {
    nil: base.replace(
      '<OtherCachedUpdateIDs>',
      '<OtherCachedUpdateIDs xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true">',
    ),
    encoded: base.replace(
      '<OtherCachedUpdateIDs>',
      '<OtherCachedUpdateIDs xmlns:e="http://schemas.xmlsoap.org/soap/encoding/" e:arrayType="xsd:int[2]">',
    ),
    itemAttr: base.replace(/<int>/, '<int xmlns:x="urn:x" x:a="1">'),
    otherNames: base.replace(/<int>([0-9]+)<\/int>/g, '<item>$1</item>'),
    whitespace: base.replace(/<\/int>/g, '</int>\n '),
    comment: base.replace('</int>', '</int><!-- c -->'),
    cdata: base.replace(/<int>([0-9]+)</, '<int><![CDATA[$1]]><'),
    twice: base.replace(
      '</OtherCachedUpdateIDs>',
      '</OtherCachedUpdateIDs><OtherCachedUpdateIDs><int>5</int></OtherCachedUpdateIDs>',
    ),
    otherNs: base.replace('<OtherCachedUpdateIDs>', '<OtherCachedUpdateIDs xmlns="urn:other">'),
    empty: base.replace(
      /<OtherCachedUpdateIDs>.*?<\/OtherCachedUpdateIDs>/s,
      '<OtherCachedUpdateIDs></OtherCachedUpdateIDs>',
    ),
    selfClosing: base.replace(
      /<OtherCachedUpdateIDs>.*?<\/OtherCachedUpdateIDs>/s,
      '<OtherCachedUpdateIDs/>',
    ),
    soap12: base.replace(
      'http://schemas.xmlsoap.org/soap/envelope/',
      'http://www.w3.org/2003/05/soap-envelope',
    ),
    truncated: base.slice(0, base.length - 40),
  };
  const seen = new Set<string>();
  for (const [name, body] of Object.entries(variants)) {
    assert.notEqual(body, base, name);
    seen.add(`${name}=${differential(Buffer.from(body))}`);
  }
  // Sanity: the variants reach both paths and both results.
  const all = [...seen].join(' ');
  assert.match(all, /streamed:ok/);
  assert.match(all, /tree:PB_ERR_/);
});

const xsi = 'http://www.w3.org/2001/XMLSchema-instance';
/** Attributes injected into start tags (lists and items). */
const attributeTokens = [
  ` xmlns:i="${xsi}" i:nil="true"`,
  ` xmlns:i="${xsi}" i:nil="false"`,
  ` xmlns:i="${xsi}" i:type="xsd:int"`,
  ' xmlns:e="http://schemas.xmlsoap.org/soap/encoding/" e:arrayType="xsd:int[2]"',
  ' xmlns:e="http://schemas.xmlsoap.org/soap/encoding/" e:arrayType="xsd:int[99999999]"',
  ' a="1"',
  ' xmlns=""',
  ` xmlns="${clientNs}"`,
];
const listTokens = [
  '<int>7</int>',
  '<int> 7</int>',
  '<int>0</int>',
  '<int>2147483648</int>',
  '<int/>',
  '<int>&#55;</int>',
  '<item>9</item>',
  '<x:int xmlns:x="urn:x">3</x:int>',
  '<int a="1">4</int>',
  '<int>5<b/></int>',
  `<int xmlns:i="${xsi}" i:nil="true">5</int>`,
  `<int xmlns:i="${xsi}" i:nil="1"/>`,
  `<int xmlns:i="${xsi}" i:type="xsd:int">6</int>`,
  'xsi:nil="true"',
  ' xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" soapenc:arrayType="xsd:int[99999999]"',
  '</OtherCachedUpdateIDs><OtherCachedUpdateIDs>',
  '<InstalledNonLeafUpdateIDs>',
  '</parameters><parameters>',
  '<!-- c -->',
  '\r\n',
  '&amp;',
];

void test(`fuzz: ${iterations / 2} byte mutations of real SyncUpdates bodies decode the same through stream and tree`, () => {
  const report = fuzzLoop({
    seeds: seedsFor('SyncUpdates'),
    iterations: iterations / 2,
    seed,
    mutate: { tokens: listTokens.map((t) => Buffer.from(t)), maxMutations: 2 },
    run: (input) => differential(input),
  });
  const o = report.outcomes;
  assert.ok(count(o, 'streamed:ok') > 0, JSON.stringify(o));
  assert.ok(count(o, 'tree:PB_ERR_XML') > 0, JSON.stringify(o));
});

/**
 * Mutations at tag boundaries (the byte mutator mostly breaks well-formedness, which never reaches the
 * stream): insert a list-shaped token before a random `<`, drop or duplicate a whole item, or rewrite an
 * item's digits. Most results stay well-formed, so both decoders get to disagree if they ever would.
 */
function mutateAtTags(body: Buffer, rng: Rng): Buffer {
  let s = body.toString('utf8');
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    const tags: number[] = [];
    for (let i = s.indexOf('<'); i >= 0; i = s.indexOf('<', i + 1)) tags.push(i);
    if (tags.length === 0) break;
    const at = rng.pick(tags);
    const item = /^<int>[^<]*<\/int>/.exec(s.slice(at, at + 32));
    switch (rng.int(5)) {
      case 4: {
        // An attribute in a start tag (a list, an item, or anything else).
        const gt = s.indexOf('>', at);
        if (s[at + 1] === '/' || gt < 0) break;
        const end = s[gt - 1] === '/' ? gt - 1 : gt;
        s = s.slice(0, end) + rng.pick(attributeTokens) + s.slice(end);
        break;
      }
      case 0:
        s = s.slice(0, at) + rng.pick(listTokens) + s.slice(at);
        break;
      case 1:
        if (item) s = s.slice(0, at) + s.slice(at + item[0].length);
        break;
      case 2:
        if (item) s = s.slice(0, at) + item[0].repeat(1 + rng.int(3)) + s.slice(at + item[0].length);
        break;
      default:
        if (item)
          s =
            s.slice(0, at) +
            `<int>${rng.pick(['1', '-5', '0', '+3', '99999999999', 'x', '', '00012', String(rng.next())])}</int>` +
            s.slice(at + item[0].length);
    }
  }
  return Buffer.from(s);
}

void test(`fuzz: ${iterations / 2} tag-boundary mutations decode the same through stream and tree`, () => {
  const seeds = seedsFor('SyncUpdates');
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < iterations / 2; i++) {
    const rng = createRng((Math.imul(seed, 0x9e3779b1) ^ i) >>> 0);
    const from = rng.pick(seeds);
    const input = mutateAtTags(Buffer.from(from.data), rng);
    let r: string;
    try {
      r = differential(input);
    } catch (e) {
      throw new Error(`iteration ${i} (seed ${seed}, from ${from.name}): ${String(e)}`, { cause: e });
    }
    outcomes[r] = (outcomes[r] ?? 0) + 1;
  }
  // Both paths and both results must be exercised, or the comparison tests nothing.
  const n = iterations / 2;
  assert.ok(count(outcomes, 'streamed:ok') > n / 10, JSON.stringify(outcomes));
  assert.ok(count(outcomes, 'streamed:PB_ERR') > 0, JSON.stringify(outcomes));
  assert.ok(count(outcomes, 'tree:PB_ERR_INVALID') > n / 20, JSON.stringify(outcomes));
  assert.ok(count(outcomes, 'tree:ok') > 0, JSON.stringify(outcomes));
});

function count(o: Readonly<Record<string, number>>, prefix: string): number {
  return Object.entries(o).reduce((n, [k, v]) => (k.startsWith(prefix) ? n + v : n), 0);
}
