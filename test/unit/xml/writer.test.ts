import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  el,
  escapeXml,
  literalArray,
  optionalTextEl,
  parseXml,
  textEl,
  textOf,
  xmlDocument,
  childElements,
  attributeValue,
} from '../../../src/protocol/xml/index.js';

void test('escapeXml: the five escapes, CR kept as a reference, illegal characters replaced by U+FFFD', () => {
  assert.equal(escapeXml('a&b<c>d"e\'f'), "a&amp;b&lt;c&gt;d&quot;e'f");
  assert.equal(escapeXml('x\r\ny\tz\n'), 'x&#xD;\ny\tz\n');
  assert.equal(escapeXml('a\u0000b\u0008c\u001Fd\uFFFEe\uFFFF'), 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFD');
  assert.equal(escapeXml('lone \uD800 high, lone \uDC00 low'), 'lone \uFFFD high, lone \uFFFD low');
  assert.equal(escapeXml('pair \u{1F600} ok'), 'pair \u{1F600} ok');
  const plain = '8f0ac6a8-5b0a-4d4b-9b4a-000000000001';
  assert.equal(escapeXml(plain), plain);
});

void test('builder: caller order, self-closing empties, start/end pairs for text, optional declaration', () => {
  assert.equal(el('A'), '<A/>');
  assert.equal(el('A', { xmlns: 'urn:x', b: undefined, c: 1 }), '<A xmlns="urn:x" c="1"/>');
  assert.equal(el('A', undefined, []), '<A/>');
  assert.equal(el('A', undefined, ''), '<A></A>');
  assert.equal(el('A', undefined, [textEl('Z', 'z'), textEl('B', 'b')]), '<A><Z>z</Z><B>b</B></A>');
  assert.equal(textEl('Message', ''), '<Message></Message>');
  assert.equal(optionalTextEl('X', undefined), '');
  assert.equal(optionalTextEl('X', false), '<X>false</X>');
  assert.equal(literalArray('Ids', 'int', [1, 2]), '<Ids><int>1</int><int>2</int></Ids>');
  assert.equal(literalArray('Ids', 'int', []), '<Ids/>');
  assert.equal(xmlDocument('<a/>', { declaration: true }), '<?xml version="1.0" encoding="utf-8"?><a/>');
  assert.equal(xmlDocument('<a/>', { declaration: false }), '<a/>');
});

void test('fragment text inside <Xml> is escaped character data (not CDATA) and round-trips', () => {
  const fragment = '<UpdateIdentity UpdateID="a" RevisionNumber="200" /><Properties UpdateType="Software" />';
  const xml = textEl('Xml', fragment);
  assert.equal(
    xml,
    '<Xml>&lt;UpdateIdentity UpdateID="a" RevisionNumber="200" /&gt;&lt;Properties UpdateType="Software" /&gt;</Xml>',
  );
  assert.equal(textOf(parseXml(xml)), fragment);
});

void test('round trips through parseXml: text, attributes, CR, replaced characters, astral characters', () => {
  const values = ['plain', 'a&b<c>d"e\'f', 'x\r\ny\rz', 'tab\there', '\u{1F600}é', ']]>', ''];
  for (const v of values) {
    const doc = el('r', { xmlns: 'urn:t', v: v.replace(/[\t\n\r]/g, ' ') }, [textEl('t', v)]);
    const root = parseXml(doc);
    assert.equal(root.uri, 'urn:t');
    assert.equal(textOf(childElements(root)[0]!), v, JSON.stringify(v));
    assert.equal(attributeValue(root, 'v'), v.replace(/[\t\n\r]/g, ' '));
  }
  const bad = parseXml(textEl('t', 'a\u0001b'));
  assert.equal(textOf(bad), 'a\uFFFDb');
});
