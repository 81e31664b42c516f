import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUpdateDocument } from '../../../src/protocol/update-xml/index.js';
import { readdirSync } from 'node:fs';
import { fixturePath, readFixture } from '../../helpers/fixtures.js';

// Synthetic, per SPEC (MS-WSUSSS 3.1.1.1; docs/protocol/upstream.md §U4): no real document carries these markers.
const msus = 'http://schemas.microsoft.com/msus/2002/12';
const digest = (n: number) => Buffer.alloc(20, n).toString('base64');

function doc(properties: string, files: string): string {
  return (
    `<upd:Update xmlns:upd="${msus}/Update">` +
    '<upd:UpdateIdentity UpdateID="6a3c3b77-1e4f-4d1e-9c57-0f1e2d3c4b5a" RevisionNumber="1" />' +
    `<upd:Properties UpdateType="Software">${properties}</upd:Properties>` +
    `<upd:Files>${files}</upd:Files></upd:Update>`
  );
}

void test('File IsEncrypted and Properties SecuredFragment are read as written', () => {
  const d = parseUpdateDocument(
    doc(
      '<upd:SecuredFragment>FileDecryption</upd:SecuredFragment><upd:SecuredFragment> FileURL </upd:SecuredFragment>',
      `<upd:File Digest="${digest(1)}" FileName="a.esd" Size="10" IsEncrypted="true" />` +
        `<upd:File Digest="${digest(2)}" FileName="b.cab" Size="20" />` +
        `<upd:File Digest="${digest(3)}" FileName="c.esd" Size="30" IsEncrypted="0" />`,
    ),
  );
  assert.deepEqual(
    d.files.map((f) => [f.fileName, f.isEncrypted]),
    [
      ['a.esd', true],
      ['b.cab', false],
      ['c.esd', false],
    ],
  );
  assert.deepEqual(d.securedFragments, ['FileDecryption', 'FileURL']);
  assert.ok(Object.isFrozen(d.securedFragments));
});

void test('a malformed IsEncrypted is a document error, not a silent false', () => {
  assert.throws(
    () =>
      parseUpdateDocument(
        doc('', `<upd:File Digest="${digest(1)}" FileName="a.esd" Size="1" IsEncrypted="yes" />`),
      ),
    (e: unknown) => (e as { code?: string }).code === 'PB_ERR_UPDATE_DOCUMENT',
  );
});

void test('real documents carry neither marker (REAL absence)', () => {
  const dir = ['wsus', 'wsus-m0-wsusss', 'docs'];
  const docs = readdirSync(fixturePath(...dir))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => parseUpdateDocument(readFixture(...dir, f)));
  assert.ok(docs.some((d) => d.files.length > 0));
  for (const d of docs) {
    assert.ok(d.files.every((f) => !f.isEncrypted));
    assert.deepEqual(d.securedFragments, []);
  }
});
