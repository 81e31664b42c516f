import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors.js';
import { updateDocumentLimits } from '../../../src/protocol/xml/index.js';
import { parseUpdateDocument, type UpdateDocumentReason } from '../../../src/protocol/update-xml/index.js';

// Synthetic documents shaped like the real ones (docs/protocol/update-xml.md §3.2), each broken in one way.
const ns =
  'xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update" xmlns:bar="http://schemas.microsoft.com/msus/2002/12/BaseApplicabilityRules"';
const goodId = 'ff36f0b5-dded-4780-8664-cd78af8b62c1';
const goodFile =
  '<upd:File Digest="vXidQqLgJwCO4+fE++5nIN1txMk=" DigestAlgorithm="SHA1" FileName="AM_Engine.exe" Size="6662560" Modified="2026-08-18T00:39:04Z"><upd:AdditionalDigest Algorithm="SHA256">FX0fJz391BBQFKgKnFee7Set4FikM6ebvaIHkpuXY+c=</upd:AdditionalDigest></upd:File>';

function doc(parts: {
  identity?: string;
  properties?: string;
  relationships?: string;
  files?: string;
  root?: string;
}): string {
  const root = parts.root ?? `upd:Update ${ns}`;
  const rootName = root.split(' ')[0]!;
  return (
    `<${root}>` +
    (parts.identity ?? `<upd:UpdateIdentity UpdateID="${goodId}" RevisionNumber="200" />`) +
    (parts.properties ??
      '<upd:Properties UpdateType="Software" DefaultPropertiesLanguage="en" MaxDownloadSize="6662560" MinDownloadSize="0" />') +
    '<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>T</upd:Title></upd:LocalizedProperties></upd:LocalizedPropertiesCollection>' +
    (parts.relationships ??
      `<upd:Relationships><upd:Prerequisites><upd:UpdateIdentity UpdateID="be4048db-157c-4532-9582-7f05099590c9" /></upd:Prerequisites></upd:Relationships>`) +
    `<upd:Files>${parts.files ?? goodFile}</upd:Files>` +
    `</${rootName}>`
  );
}

function rejects(input: string | Uint8Array, reason: UpdateDocumentReason): void {
  assert.throws(
    () => parseUpdateDocument(input),
    (e: unknown) => {
      assert.ok(e instanceof AppError, String(e));
      assert.equal(e.code, 'PB_ERR_UPDATE_DOCUMENT', e.message);
      assert.equal(e.detail?.reason, reason, e.message);
      return true;
    },
  );
}

function rejectsXml(input: string | Uint8Array, code: string): void {
  assert.throws(
    () => parseUpdateDocument(input),
    (e: unknown) => e instanceof AppError && e.code === code,
  );
}

void test('the synthetic base document is valid (so each rejection below is caused by its one change)', () => {
  const d = parseUpdateDocument(doc({}));
  assert.equal(d.identity.updateId, goodId);
  assert.equal(d.files[0]?.size, 6662560);
});

void test('DOCTYPE, entity expansion and malformed XML are refused by the reader', () => {
  rejectsXml(`<!DOCTYPE upd:Update [<!ENTITY a "aaaa">]>${doc({})}`, 'PB_ERR_XML_DOCTYPE');
  const laughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><upd:Update xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update">&lol2;</upd:Update>';
  rejectsXml(laughs, 'PB_ERR_XML_DOCTYPE');
  rejectsXml(doc({}).slice(0, -20), 'PB_ERR_XML_MALFORMED');
  rejectsXml(new Uint8Array([0x3c, 0x75, 0xff, 0xfe, 0xfd]), 'PB_ERR_XML_MALFORMED');
});

void test('a root that is not upd:Update (wrong namespace or name) is not-an-update', () => {
  rejects(
    doc({ root: 'upd:Update xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Updat"' }),
    'not-an-update',
  );
  rejects(doc({ root: `upd:Updates ${ns}` }), 'not-an-update');
  rejects('<Update><UpdateIdentity UpdateID="x" /></Update>', 'not-an-update');
});

void test('bad identities and GUIDs', () => {
  rejects(doc({ identity: '' }), 'bad-identity');
  rejects(doc({ identity: `<upd:UpdateIdentity UpdateID="${goodId}" />` }), 'bad-identity');
  rejects(
    doc({ identity: `<upd:UpdateIdentity UpdateID="${goodId}" RevisionNumber="-1" />` }),
    'bad-identity',
  );
  rejects(
    doc({ identity: `<upd:UpdateIdentity UpdateID="${goodId}" RevisionNumber="1e3" />` }),
    'bad-identity',
  );
  rejects(
    doc({ identity: `<upd:UpdateIdentity UpdateID="${goodId}" RevisionNumber="4294967296" />` }),
    'bad-identity',
  );
  rejects(doc({ identity: '<upd:UpdateIdentity UpdateID="not-a-guid" RevisionNumber="1" />' }), 'bad-guid');
  rejects(doc({ identity: `<upd:UpdateIdentity UpdateID="${goodId}0" RevisionNumber="1" />` }), 'bad-guid');
  rejects(
    doc({
      relationships:
        '<upd:Relationships><upd:Prerequisites><upd:AtLeastOne IsCategory="true"><upd:UpdateIdentity UpdateID="{be4048db-157c-4532-9582-7f05099590c9}" /></upd:AtLeastOne></upd:Prerequisites></upd:Relationships>',
    }),
    'bad-guid',
  );
  rejects(
    doc({
      relationships:
        '<upd:Relationships><upd:SupersededUpdates><upd:UpdateIdentity UpdateID="zz4048db-157c-4532-9582-7f05099590c9" /></upd:SupersededUpdates></upd:Relationships>',
    }),
    'bad-guid',
  );
  // A bundled member must name its revision.
  rejects(
    doc({
      relationships: `<upd:Relationships><upd:BundledUpdates><upd:AtLeastOne><upd:UpdateIdentity UpdateID="${goodId}" /></upd:AtLeastOne></upd:BundledUpdates></upd:Relationships>`,
    }),
    'bad-identity',
  );
  rejects(doc({ properties: '<upd:Properties UpdateType="Software" PublisherID="nope" />' }), 'bad-guid');
});

void test('GUIDs are compared case-insensitively: upper-case ids become the same lower-case UpdateId', () => {
  const d = parseUpdateDocument(
    doc({
      identity: `<upd:UpdateIdentity UpdateID="${goodId.toUpperCase()}" RevisionNumber="200" />`,
      relationships:
        '<upd:Relationships><upd:Prerequisites><upd:UpdateIdentity UpdateID="BE4048DB-157C-4532-9582-7F05099590C9" /></upd:Prerequisites></upd:Relationships>',
    }),
  );
  assert.equal(d.identity.updateId, goodId);
  assert.deepEqual(d.prerequisites[0]?.anyOf, ['be4048db-157c-4532-9582-7f05099590c9']);
});

void test('missing or unknown Properties / UpdateType', () => {
  rejects(doc({ properties: '' }), 'missing-properties');
  rejects(doc({ properties: '<upd:Properties DefaultPropertiesLanguage="en" />' }), 'missing-properties');
  rejects(doc({ properties: '<upd:Properties UpdateType="Malware" />' }), 'bad-update-type');
  rejects(
    doc({ properties: '<upd:Properties UpdateType="Software" ExplicitlyDeployable="yes" />' }),
    'bad-boolean',
  );
});

void test('file digests that are not 20 bytes of base64, SHA-256 that is not 32, bad sizes', () => {
  const withDigest = (d: string): string => goodFile.replace('vXidQqLgJwCO4+fE++5nIN1txMk=', d);
  rejects(doc({ files: withDigest('vXidQqLgJwCO4+fE++5nIN1txA==') }), 'bad-digest'); // 19 bytes
  rejects(doc({ files: withDigest('vXidQqLgJwCO4+fE++5nIN1txMkA') }), 'bad-digest'); // 21 bytes
  rejects(doc({ files: withDigest('vXidQqLgJwCO4+fE++5nIN1tx*k=') }), 'bad-digest'); // not base64
  rejects(doc({ files: withDigest('') }), 'bad-digest');
  rejects(doc({ files: goodFile.replace(' Digest="vXidQqLgJwCO4+fE++5nIN1txMk="', '') }), 'bad-digest');
  rejects(doc({ files: goodFile.replace('DigestAlgorithm="SHA1"', 'DigestAlgorithm="MD5"') }), 'bad-digest');
  rejects(
    doc({
      files: goodFile.replace(
        'FX0fJz391BBQFKgKnFee7Set4FikM6ebvaIHkpuXY+c=',
        'FX0fJz391BBQFKgKnFee7Set4FikM6ebvaIHkpuXYw==',
      ),
    }),
    'bad-digest',
  );
  rejects(doc({ files: goodFile.replace('Size="6662560"', 'Size="-1"') }), 'bad-size');
  rejects(doc({ files: goodFile.replace('Size="6662560"', 'Size="12345678901234567890"') }), 'bad-size');
  rejects(doc({ files: goodFile.replace('Size="6662560"', 'Size="0x10"') }), 'bad-size');
  rejects(doc({ files: goodFile.replace(' Size="6662560"', '') }), 'bad-size');
  rejects(doc({ files: goodFile.replace(' FileName="AM_Engine.exe"', '') }), 'bad-file');
  rejects(doc({ properties: '<upd:Properties UpdateType="Software" MaxDownloadSize="-5" />' }), 'bad-size');
});

void test('a huge attribute: refused as a bad GUID with a short message, or by the reader limit', () => {
  const huge = 'a'.repeat(2 * 1024 * 1024);
  const input = doc({ identity: `<upd:UpdateIdentity UpdateID="${huge}" RevisionNumber="1" />` });
  assert.throws(
    () => parseUpdateDocument(input),
    (e: unknown) => e instanceof AppError && e.detail?.reason === 'bad-guid' && e.message.length < 300,
  );
  assert.throws(
    () => parseUpdateDocument(input, { limits: { ...updateDocumentLimits, maxTextLength: 64 * 1024 } }),
    (e: unknown) => e instanceof AppError && e.code === 'PB_ERR_XML_LIMIT',
  );
  assert.throws(
    () => parseUpdateDocument(Buffer.from(input), { limits: { ...updateDocumentLimits, maxBytes: 1024 } }),
    (e: unknown) => e instanceof AppError && e.code === 'PB_ERR_XML_LIMIT',
  );
});

void test('unknown elements and attributes are ignored', () => {
  const d = parseUpdateDocument(
    doc({
      properties:
        '<upd:Properties UpdateType="Software" FutureFlag="x" xmlns:x="urn:x" x:Other="1"><x:Unknown a="1"><upd:KBArticleID>999</upd:KBArticleID></x:Unknown><upd:KBArticleID>123</upd:KBArticleID><upd:NewThing /></upd:Properties>',
    }),
  );
  // The KBArticleID inside an unknown element is not a property of this update.
  assert.deepEqual(d.kbArticleIds, ['123']);
});
