/**
 * A catalog built from the REAL update documents in wsus-m0-wsusss/docs (parsed with parseUpdateDocument),
 * closed with clearly marked SYNTHETIC records for the identities those documents name but the capture did not
 * record (docs/protocol/captures.md §4.2): the Defender product and Definition Updates classification categories, the
 * detectoids be4048db / 59653007 / 0aac58ee, and bundle members outside the document set.
 */
import { readdirSync } from 'node:fs';
import type { CatalogRevisionInput } from '../../../src/catalog/index.js';
import type { RevisionKind } from '../../../src/domain/index.js';
import { parseUpdateDocument } from '../../../src/protocol/update-xml/index.js';
import { fixturePath, readFixture } from '../../helpers/fixtures.js';

export const microsoft = '56309036-4c77-4dd9-951a-99ee9c246a94';
export const windows = '6964aab4-c5b5-43bd-a17d-ffb4346a8e1d';
export const oobeZdp = 'dd78b8a1-0b20-45c1-add6-4da72e9364cf';
export const defenderProduct = '8c3fcc84-7410-4a95-8b89-a166a0190486';
export const definitionUpdates = 'e0789628-ce08-4437-be74-2495b842f43b';
export const defenderBundle = 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe';
export const syntheticDetectoids = [
  'be4048db-157c-4532-9582-7f05099590c9',
  '59653007-e2e9-4f71-8525-2ff588527978',
  '0aac58ee-82a0-4452-a7fa-19f68398f1fa',
];

export interface RealDocsCatalog {
  readonly records: CatalogRevisionInput[];
  /** Update ids of the real documents. */
  readonly realUpdateIds: string[];
  /** Update ids of the synthetic records. */
  readonly syntheticUpdateIds: string[];
}

const kinds: Record<string, RevisionKind> = {
  Software: 'software',
  Driver: 'driver',
  Category: 'category',
  Detectoid: 'detectoid',
};

export function realDocsCatalog(): RealDocsCatalog {
  const dir = fixturePath('wsus', 'wsus-m0-wsusss', 'docs');
  const records: CatalogRevisionInput[] = [];
  const realUpdateIds: string[] = [];
  let nextId = 100;
  const lastChangeAt = Date.UTC(2026, 9, 4);
  const known = new Set<string>();
  const named = new Set<string>();
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.xml')) continue;
    const doc = parseUpdateDocument(readFixture('wsus', 'wsus-m0-wsusss', 'docs', name));
    const updateId = doc.identity.updateId;
    known.add(updateId);
    realUpdateIds.push(updateId);
    for (const c of doc.prerequisites) for (const id of c.anyOf) named.add(id);
    for (const g of doc.bundledUpdates) for (const m of g.anyOf) named.add(m.updateId);
    records.push({
      revisionId: nextId++,
      updateId,
      revisionNumber: doc.identity.revisionNumber,
      kind: kinds[doc.updateType]!,
      prerequisites: doc.prerequisites.map((c) => ({ isCategory: c.isCategory, anyOf: [...c.anyOf] })),
      bundledUpdates: doc.bundledUpdates.map((g) => ({ anyOf: [...g.anyOf] })),
      expired: doc.publicationState === 'Expired',
      lastChangeAt,
    });
  }
  // SYNTHETIC closure records (not from any capture).
  const syntheticUpdateIds: string[] = [];
  const synth = (
    updateId: string,
    kind: RevisionKind,
    prerequisites: CatalogRevisionInput['prerequisites'],
  ) => {
    syntheticUpdateIds.push(updateId);
    known.add(updateId);
    records.push({
      revisionId: nextId++,
      updateId,
      revisionNumber: 1,
      kind,
      prerequisites,
      expired: false,
      lastChangeAt,
    });
  };
  synth(defenderProduct, 'category', [{ isCategory: true, anyOf: [microsoft] }]);
  synth(definitionUpdates, 'category', []);
  for (const d of syntheticDetectoids) synth(d, 'detectoid', []);
  // Bundle members the document set lacks: plain Defender leaves gated like the real ones.
  for (const id of [...named].sort())
    if (!known.has(id))
      synth(id, 'software', [
        { isCategory: false, anyOf: [syntheticDetectoids[0]!] },
        { isCategory: false, anyOf: [defenderProduct] },
      ]);
  return { records, realUpdateIds, syntheticUpdateIds };
}
