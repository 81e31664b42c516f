import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fixturePath, readFixture } from '../../helpers/fixtures.js';
import {
  availableLanguages,
  categoryLookupFrom,
  chooseLanguage,
  classifyCategories,
  deriveFragments,
  parseUpdateDocument,
  type UpdateDocument,
} from '../../../src/protocol/update-xml/index.js';
import { asUpdateId } from '../../../src/domain/ids.js';

const docsDir = ['wsus', 'wsus-m0-wsusss', 'docs'];
const docFiles = readdirSync(fixturePath(...docsDir)).filter((f) => f.endsWith('.xml'));

function load(revision: string): UpdateDocument {
  return parseUpdateDocument(readFixture(...docsDir, `${revision}.xml`));
}

/** The record without the fields that describe how it was given. */
function comparable(d: UpdateDocument): Record<string, unknown> {
  const { original: _o, originalEncoding: _e, root: _r, ...rest } = d;
  return rest;
}

void test('every real document parses, its identity matches its file name and the record is frozen', () => {
  assert.equal(docFiles.length, 8);
  for (const f of docFiles) {
    const bytes = readFixture(...docsDir, f);
    const d = parseUpdateDocument(bytes);
    assert.equal(`${d.identity.updateId}-r${d.identity.revisionNumber}.xml`, f);
    assert.ok(Object.isFrozen(d) && Object.isFrozen(d.prerequisites) && Object.isFrozen(d.files));
    // Byte-faithful: the very bytes given, not a re-serialization.
    assert.equal(d.original, bytes);
    assert.equal(d.originalEncoding, 'utf-8');
    assert.ok(d.localizedProperties.some((lp) => lp.language === 'en'));
  }
});

void test('UTF-16LE blobs out of the real cabinets parse to the same record as the text documents', () => {
  const blobs = readdirSync(fixturePath('cab', 'wsus')).filter((f) => f.endsWith('.blob-utf16le'));
  assert.equal(blobs.length, 2);
  for (const f of blobs) {
    const revision = f.replace('.blob-utf16le', '');
    const blob = readFixture('cab', 'wsus', f);
    const fromBlob = parseUpdateDocument(blob);
    assert.equal(fromBlob.originalEncoding, 'utf-16le');
    assert.equal(fromBlob.original, blob);
    const fromText = parseUpdateDocument(readFixture(...docsDir, `${revision}.xml`).toString('utf8'));
    assert.equal(fromText.originalEncoding, 'string');
    assert.deepEqual(comparable(fromBlob), comparable(fromText));
    // And the fragments the catalog stores do not depend on how the document arrived.
    assert.deepEqual(deriveFragments(fromBlob), deriveFragments(fromText));
  }
});

void test('the Defender bundle a2fef9b0 r200: properties, CNF prerequisites, 7/7/7/103 bundle groups, supersedence', () => {
  const d = load('a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe-r200');
  assert.equal(d.updateType, 'Software');
  assert.equal(d.handler, undefined);
  assert.equal(d.handlerKind, 'none');
  assert.equal(d.explicitlyDeployable, true);
  assert.equal(d.autoSelectOnWebSites, true);
  assert.equal(d.isPublic, true);
  assert.equal(d.perUser, false);
  assert.equal(d.publicationState, 'Published');
  assert.equal(d.creationDate, '2026-10-04T12:00:58.381Z');
  assert.equal(d.publisherId, 'bccf8ca0-2819-4598-8d15-c1506e363e92');
  assert.equal(d.defaultPropertiesLanguage, 'en');
  assert.deepEqual(d.kbArticleIds, ['2267602']);
  assert.deepEqual(d.securityBulletinIds, []);
  assert.equal(d.supportUrl, 'https://go.microsoft.com/fwlink/?LinkId=52661');
  assert.equal(d.maxDownloadSize, 0);
  assert.equal(d.minDownloadSize, 0);
  assert.equal(d.files.length, 0);
  assert.equal(d.localizedProperties.length, 35);
  const en = d.localizedProperties.find((lp) => lp.language === 'en');
  assert.equal(
    en?.title,
    'Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.459.547.0) - Current Channel (Broad)',
  );
  assert.equal(en?.moreInfoUrl, 'https://go.microsoft.com/fwlink/?linkid=2007160');
  assert.equal(en?.supportUrl, 'https://go.microsoft.com/fwlink/?LinkId=52661');
  assert.match(en?.description ?? '', /^Install this update to revise the files/);
  const de = d.localizedProperties.find((lp) => lp.language === 'de');
  assert.match(de?.title ?? '', /^Security Intelligence-Update für Microsoft Defender Antivirus – KB2267602/);

  assert.deepEqual(d.prerequisites, [
    { isCategory: false, anyOf: ['be4048db-157c-4532-9582-7f05099590c9'] },
    { isCategory: false, anyOf: ['0aac58ee-82a0-4452-a7fa-19f68398f1fa'] },
    { isCategory: true, anyOf: ['e0789628-ce08-4437-be74-2495b842f43b'] },
    { isCategory: true, anyOf: ['8c3fcc84-7410-4a95-8b89-a166a0190486'] },
  ]);
  assert.deepEqual(d.categoryIds, [
    'e0789628-ce08-4437-be74-2495b842f43b',
    '8c3fcc84-7410-4a95-8b89-a166a0190486',
  ]);
  assert.deepEqual(
    d.bundledUpdates.map((g) => g.anyOf.length),
    [7, 7, 7, 103],
  );
  assert.ok(d.bundledUpdates.every((g) => g.anyOf.every((i) => i.revisionNumber === 200)));
  assert.deepEqual(d.bundledUpdates[0]?.anyOf[5], {
    updateId: 'ccb78947-6453-4ecc-9de8-bc0305c98f2d',
    revisionNumber: 200,
  });
  assert.equal(d.supersededUpdateIds.length, 10);
  assert.equal(d.supersededUpdateIds[0], 'ce84983e-b20e-44d7-a412-1fd91fc7bda8');
});

void test('a leaf with a file (ff36f0b5 r200): handler, behaviour, file digests checked against the text', () => {
  const d = load('ff36f0b5-dded-4780-8664-cd78af8b62c1-r200');
  assert.equal(d.handler, 'http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/CommandLineInstallation');
  assert.equal(d.handlerKind, 'command-line-installation');
  assert.equal(d.handlerSpecificType, 'cmd:CommandLineInstallation');
  assert.equal(d.explicitlyDeployable, false);
  assert.deepEqual(d.installationBehavior, {
    impact: 'Minor',
    rebootBehavior: 'NeverReboots',
    canRequestUserInput: false,
    requiresNetworkConnectivity: false,
  });
  assert.equal(d.uninstallationBehavior, undefined);
  assert.equal(d.maxDownloadSize, 6662560);
  assert.equal(d.localizedProperties[0]?.title, 'AM Engine 1.1.26080.3 for Defender amd64fre Broad');
  assert.deepEqual(d.prerequisites, [
    { isCategory: false, anyOf: ['be4048db-157c-4532-9582-7f05099590c9'] },
    { isCategory: false, anyOf: ['59653007-e2e9-4f71-8525-2ff588527978'] },
    { isCategory: false, anyOf: ['0aac58ee-82a0-4452-a7fa-19f68398f1fa'] },
    { isCategory: false, anyOf: ['8c3fcc84-7410-4a95-8b89-a166a0190486'] },
  ]);
  assert.deepEqual(d.categoryIds, []);
  assert.equal(d.files.length, 1);
  const f = d.files[0]!;
  assert.equal(f.fileName, 'AM_Engine.exe');
  assert.equal(f.size, 6662560);
  assert.equal(f.digestAlgorithm, 'SHA1');
  assert.equal(f.sha1Base64, 'vXidQqLgJwCO4+fE++5nIN1txMk=');
  assert.equal(f.sha1.length, 20);
  assert.equal(f.sha1.toString('hex'), 'bd789d42a2e027008ee3e7c4fbee6720dd6dc4c9');
  assert.equal(f.sha256Base64, 'FX0fJz391BBQFKgKnFee7Set4FikM6ebvaIHkpuXY+c=');
  assert.equal(f.sha256?.length, 32);
  assert.deepEqual(f.additionalDigests, [
    { algorithm: 'SHA256', base64: 'FX0fJz391BBQFKgKnFee7Set4FikM6ebvaIHkpuXY+c=' },
  ]);
  assert.equal(f.modified, '2026-08-18T00:39:04Z');
  assert.equal(f.patchingType, undefined);
});

void test('the other leaf with a file (7366a74a r200) and the hidden sub-bundles', () => {
  const leaf = load('7366a74a-ef29-44e1-b738-570b516aca1f-r200');
  assert.equal(leaf.files[0]?.fileName, 'AM_Delta.exe');
  assert.equal(leaf.files[0]?.size, 11610576);
  assert.equal(leaf.files[0]?.sha1.toString('base64'), '6LHXWIXPjwU6Ewe9ycP4e/DPeto=');
  assert.equal(leaf.files[0]?.sha256?.toString('base64'), 'z53OiKDgnskhUnDhQeuuixJreIqwZq1X7COvqZM4+Tk=');

  const hidden = load('ccb78947-6453-4ecc-9de8-bc0305c98f2d-r200');
  assert.match(hidden.localizedProperties[0]?.title ?? '', /^HIDDEN: Defender MpSigStub/);
  assert.deepEqual(
    hidden.bundledUpdates.map((g) => g.anyOf.length),
    [4],
  );
  assert.equal(hidden.handlerKind, 'none');
  const engine = load('1f9bd9bb-7390-4aa3-bbdb-ded99fac2583-r200');
  assert.deepEqual(
    engine.bundledUpdates.map((g) => g.anyOf.length),
    [24],
  );
  assert.ok(
    engine.bundledUpdates[0]?.anyOf.some((i) => i.updateId === 'ff36f0b5-dded-4780-8664-cd78af8b62c1'),
  );
});

void test('categories: type, flags, display order, parent via IsCategory; upper-case ids are lower-cased', () => {
  const company = load('56309036-4c77-4dd9-951a-99ee9c246a94-r101');
  assert.equal(company.identity.updateId, '56309036-4c77-4dd9-951a-99ee9c246a94');
  assert.equal(company.updateType, 'Category');
  assert.equal(company.handlerKind, 'category');
  assert.deepEqual(company.categoryInformation, {
    categoryType: 'Company',
    prohibitsSubcategories: false,
    prohibitsUpdates: true,
    displayOrder: 1,
    excludedByDefault: false,
  });
  assert.equal(company.localizedProperties.length, 24);
  assert.deepEqual(company.prerequisites, []);

  const family = load('6964aab4-c5b5-43bd-a17d-ffb4346a8e1d-r100');
  assert.equal(family.identity.updateId, '6964aab4-c5b5-43bd-a17d-ffb4346a8e1d');
  assert.equal(family.categoryInformation?.categoryType, 'ProductFamily');
  assert.equal(family.categoryInformation?.displayOrder, 2);
  assert.deepEqual(family.categoryIds, ['56309036-4c77-4dd9-951a-99ee9c246a94']);

  const product = load('dd78b8a1-0b20-45c1-add6-4da72e9364cf-r202');
  assert.deepEqual(product.categoryInformation, {
    categoryType: 'Product',
    prohibitsSubcategories: true,
    prohibitsUpdates: false,
    displayOrder: undefined,
    excludedByDefault: true,
  });
  assert.equal(
    product.localizedProperties[0]?.description,
    'This category would be used by the updates that would meet the ZDP bar.',
  );
  assert.equal(product.handlerSpecificType, 'cat:Category');
});

void test('classifyCategories tells companies, families, products and classifications apart with a lookup', () => {
  const categories = [
    load('56309036-4c77-4dd9-951a-99ee9c246a94-r101'),
    load('6964aab4-c5b5-43bd-a17d-ffb4346a8e1d-r100'),
    load('dd78b8a1-0b20-45c1-add6-4da72e9364cf-r202'),
  ];
  const definitionUpdates = asUpdateId('e0789628-ce08-4437-be74-2495b842f43b');
  const defender = asUpdateId('8c3fcc84-7410-4a95-8b89-a166a0190486');
  // The Defender product and the Definition Updates classification have no document in the fixtures; they are
  // supplied as well-known ids (docs/protocol/update-xml.md §3.6), as the sync engine will after syncing categories.
  const full = categoryLookupFrom(
    categories,
    new Map([
      [definitionUpdates, 'UpdateClassification'],
      [defender, 'Product'],
    ]),
  );
  const bundle = load('a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe-r200');
  const c = classifyCategories(bundle, full);
  assert.deepEqual(c.classifications, [definitionUpdates]);
  assert.deepEqual(c.products, [defender]);
  assert.deepEqual([...c.companies, ...c.productFamilies, ...c.otherCategories, ...c.unknownCategories], []);

  // A hidden sub-bundle names both in plain AtLeastOne clauses: they count because the lookup knows them.
  const hidden = classifyCategories(load('ccb78947-6453-4ecc-9de8-bc0305c98f2d-r200'), full);
  assert.deepEqual(hidden.classifications, [definitionUpdates]);
  assert.deepEqual(hidden.products, [defender]);

  // Without the documents, an IsCategory id is still reported (as unknown); a plain prerequisite is not.
  const partial = categoryLookupFrom(categories);
  const p = classifyCategories(bundle, partial);
  assert.deepEqual(p.unknownCategories, [definitionUpdates, defender]);
  assert.deepEqual(
    classifyCategories(load('ff36f0b5-dded-4780-8664-cd78af8b62c1-r200'), partial).unknownCategories,
    [],
  );

  const product = classifyCategories(load('dd78b8a1-0b20-45c1-add6-4da72e9364cf-r202'), partial);
  assert.deepEqual(product.productFamilies, ['6964aab4-c5b5-43bd-a17d-ffb4346a8e1d']);
  const family = classifyCategories(load('6964aab4-c5b5-43bd-a17d-ffb4346a8e1d-r100'), partial);
  assert.deepEqual(family.companies, ['56309036-4c77-4dd9-951a-99ee9c246a94']);
});

void test('languages: listed in document order; chosen with en-US -> en fallback and English as last resort', () => {
  const bundle = load('a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe-r200');
  assert.equal(availableLanguages(bundle)[0], 'en');
  assert.equal(chooseLanguage(bundle, ['en-US', 'en']), 'en');
  assert.equal(chooseLanguage(bundle, ['de-DE']), 'de');
  assert.equal(chooseLanguage(bundle, ['xx-YY']), 'en');
  const company = load('56309036-4c77-4dd9-951a-99ee9c246a94-r101');
  assert.equal(chooseLanguage(company, ['PT-BR']), 'pt-br');
  assert.equal(chooseLanguage(company, ['pt-PT']), 'pt');
  assert.equal(chooseLanguage(company, ['zh-TW', 'en']), 'zh-tw');
  assert.equal(chooseLanguage(load('ccb78947-6453-4ecc-9de8-bc0305c98f2d-r200'), ['fr-FR', 'fr']), 'en');
});

void test('hashes of the UTF-16LE blobs match the text documents re-encoded (the blobs are the same documents)', () => {
  // Guards the equality test above against comparing two records of the same source by accident.
  for (const revision of [
    '56309036-4c77-4dd9-951a-99ee9c246a94-r101',
    'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe-r200',
  ]) {
    const blob = readFixture('cab', 'wsus', `${revision}.blob-utf16le`);
    const text = Buffer.from(readFixture(...docsDir, `${revision}.xml`).toString('utf8'), 'utf16le');
    assert.equal(
      createHash('sha256').update(blob).digest('hex'),
      createHash('sha256').update(text).digest('hex'),
    );
  }
});
