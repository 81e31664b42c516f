/**
 * The plain scanner's `item` fast form (PlainXmlHandler.item): a handler that asks for items on every
 * element must see exactly the document the ordinary events describe. An item builder (TreeBuilder plus
 * `item` turning each reported item back into an element) must build the tree parseXml builds, and give up
 * exactly when it does, for generated lists of leaf children around every limit the scanner checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TreeBuilder,
  parseTextWithSaxes,
  scanPlainXml,
  soapRequestLimits,
  type PlainTag,
  type XmlElement,
  type XmlReadLimits,
} from '../../../src/protocol/xml/index.js';
import { createRng } from '../../helpers/fuzz.js';

/** Builds the tree from items too; the documents below use unprefixed names in one default namespace. */
class ItemTreeBuilder extends TreeBuilder {
  items = 0;

  override startTag(tag: PlainTag, depth: number): boolean {
    super.startTag(tag, depth);
    return true;
  }

  item(start: number, end: number): void {
    this.items++;
    const lt = this.s.lastIndexOf('<', start - 1);
    const parent = this.stack[this.stack.length - 1]!;
    const children = start === end ? [] : [{ kind: 'text' as const, text: this.s.slice(start, end) }];
    parent.children.push({
      kind: 'element',
      uri: parent.uri,
      local: this.s.slice(lt + 1, start - 1),
      prefix: '',
      attributes: [],
      children,
    });
  }
}

function withItems(s: string, limits: XmlReadLimits): { root: XmlElement | undefined; items: number } {
  const b = new ItemTreeBuilder(s);
  return { root: scanPlainXml(s, limits, b) ? b.root : undefined, items: b.items };
}

function saxes(s: string, limits: XmlReadLimits): XmlElement | string {
  try {
    return parseTextWithSaxes(s, limits);
  } catch (e) {
    return (e as { code?: string }).code ?? 'error';
  }
}

const itemForms = [
  (v: string) => `<int>${v}</int>`,
  (v: string) => `<item>${v}</item>`,
  (v: string) => `<a.b-c_1>${v}</a.b-c_1>`,
  () => '<int></int>',
  () => '<int/>',
  (v: string) => `<int >${v}</int>`,
  (v: string) => `<int>${v}</int >`,
  (v: string) => `<int>${v}</in>`,
  (v: string) => `<int>${v}</intt>`,
  (v: string) => `<int>${v}</inx>`,
  (v: string) => `<int>${v}</Int>`,
  (v: string) => `<int a="1">${v}</int>`,
  (v: string) => `<p:int xmlns:p="urn:p">${v}</p:int>`,
  (v: string) => `<int>${v}&amp;</int>`,
  (v: string) => `<int>${v}\r\n</int>`,
  (v: string) => `<int>${v}]]></int>`,
  (v: string) => `<int>${v}></int>`,
  (v: string) => `<int>${v}<b/></int>`,
  (v: string) => ` <int>${v}</int>`,
  (v: string) => `<int>${v}`,
];

void test('items equal the ordinary events: generated lists around every limit, against saxes', () => {
  const rng = createRng(0x1be5);
  let reported = 0;
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const n = rng.int(12);
    const parts: string[] = [];
    for (let k = 0; k < n; k++) {
      const form = rng.chance(0.7) ? itemForms[0]! : rng.pick(itemForms);
      parts.push(form(rng.chance(0.5) ? String(rng.int(1e6)) : 'x'.repeat(rng.int(6))));
    }
    const doc = `<r xmlns="urn:r"><list>${parts.join('')}</list><tail>t</tail></r>`;
    // Half the documents get limits near their size (each limit crossed somewhere), half the defaults.
    const tight = rng.chance(0.5);
    const limits: XmlReadLimits = {
      ...soapRequestLimits,
      maxElements: tight ? 2 + rng.int(n + 4) : 1000,
      maxDepth: tight ? 2 + rng.int(3) : 48,
      maxNameLength: tight ? 2 + rng.int(8) : 256,
      maxTextLength: tight ? 1 + rng.int(8) : 1000,
    };
    const got = withItems(doc, limits);
    reported += got.items;
    const want = saxes(doc, limits);
    if (got.root === undefined) continue; // the scanner gave up: saxes decides (checked in test/fuzz/xml.test.ts)
    accepted++;
    assert.deepEqual(got.root, want, `${doc} with ${JSON.stringify(limits)}`);
  }
  // The fast form must actually be taken, on documents the scanner then accepts.
  assert.ok(reported > 3000, `only ${reported} items reported`);
  assert.ok(accepted > 300, `only ${accepted} documents accepted`);
});

void test('a handler that never asks for items, or has no item method, sees only ordinary events', () => {
  const doc = '<r><list><int>1</int><int>2</int></list></r>';
  const seen: string[] = [];
  const handler = {
    startTag: (tag: PlainTag) => {
      seen.push(tag.local);
      return true;
    },
    endTag: () => undefined,
    text: () => undefined,
  };
  assert.equal(scanPlainXml(doc, soapRequestLimits, handler), true);
  assert.deepEqual(seen, ['r', 'list', 'int', 'int']);
});
