import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fixturePath, readFixture } from '../../helpers/fixtures.js';
import { normalizeFragment } from '../../helpers/fragment-normalize.js';
import {
  deriveCoreFragment,
  deriveExtendedFragment,
  deriveFragments,
  deriveLocalizedPropertiesFragment,
  parseUpdateDocument,
} from '../../../src/protocol/update-xml/index.js';

// Ground truth: the fragments the real WS2025 server sent a native client for the documents in docs/
// (docs/protocol/captures.md §4.2). Every reference file is compared; the list is read from the folder, not hard-coded.
const set = ['wsus', 'wsus-m0-wsusss'];
const references = readdirSync(fixturePath(...set, 'wusp-reference'))
  .map((f) => /^(.+-r\d+)\.(core|extended|localized-en)\.xml$/.exec(f))
  .filter((m): m is RegExpExecArray => m !== null);

void test('the reference folder has fragments of all three kinds for the documents in docs/', () => {
  const kinds = new Set(references.map((m) => m[2]));
  assert.deepEqual([...kinds].sort(), ['core', 'extended', 'localized-en']);
  assert.equal(references.length, 17);
});

for (const [file, revision, kind] of references) {
  void test(`${file}: derived fragment equals the real WS2025 fragment`, () => {
    const doc = parseUpdateDocument(readFixture(...set, 'docs', `${revision}.xml`));
    const want = readFixture(...set, 'wusp-reference', file).toString('utf8');
    const got =
      kind === 'core'
        ? deriveCoreFragment(doc)
        : kind === 'extended'
          ? deriveExtendedFragment(doc)
          : deriveLocalizedPropertiesFragment(doc, 'en');
    assert.ok(got !== undefined);
    assert.equal(normalizeFragment(got), normalizeFragment(want));
    // Byte-exact too, except where the capture was redacted (LinkId=REDACTED): the derivation emits WS2025's
    // attribute order and `" />"` spacing, so the normalization should only ever be needed for the redaction.
    if (!want.includes('REDACTED')) assert.equal(got, want);
    else assert.notEqual(got, want);
    // The one-pass derivation gives the same strings as the per-kind functions.
    const all = deriveFragments(doc);
    assert.equal(
      kind === 'core' ? all.core : kind === 'extended' ? all.extended : all.localized.get('en'),
      got,
    );
  });
}
