/**
 * A closed catalog for catalog-mode tests, built from the REAL documents in wsus-m0-wsusss/docs plus clearly
 * marked SYNTHETIC documents for the identities those documents name but the capture did not record
 * (docs/protocol/captures.md §4.2): the Microsoft Defender Antivirus product (8c3fcc84, placed under the real Windows family),
 * the Definition Updates classification (e0789628), the detectoids be4048db / 59653007 / 0aac58ee, and every
 * bundled child that is not one of the real documents. Synthetic titles start with `SYNTHETIC (test)`.
 * Real cabinets are served where we hold them: test/fixtures/cab/wsus and the GetUpdateData answers 000013
 * (bundle a2fef9b0, LZX) and 000016 (category 56309036, LZX); everything else is a plain blob up to 5,120
 * UTF-16 bytes or an MSZIP cabinet of our own writer.
 */
import { readdirSync } from 'node:fs';
import type { UpdateIdentity } from '../../../src/domain/ids.js';
import {
  decodeGetUpdateDataResult,
  decodeServerSyncResponse,
  serverSyncNs,
} from '../../../src/protocol/server-sync/index.js';
import { parseUpdateDocument } from '../../../src/protocol/update-xml/index.js';
import { fixturePath, readFixture } from '../fixtures.js';
import type { CatalogEntry } from './catalog-upstream.js';

export const ids = {
  microsoft: '56309036-4c77-4dd9-951a-99ee9c246a94',
  windows: '6964aab4-c5b5-43bd-a17d-ffb4346a8e1d',
  oobeZdp: 'dd78b8a1-0b20-45c1-add6-4da72e9364cf',
  defender: '8c3fcc84-7410-4a95-8b89-a166a0190486',
  definitionUpdates: 'e0789628-ce08-4437-be74-2495b842f43b',
  defenderBundle: 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe',
  smallLeaf: 'ccb78947-6453-4ecc-9de8-bc0305c98f2d',
  productOnlyLeaf: '7366a74a-ef29-44e1-b738-570b516aca1f',
  detectoids: [
    'be4048db-157c-4532-9582-7f05099590c9',
    '59653007-e2e9-4f71-8525-2ff588527978',
    '0aac58ee-82a0-4452-a7fa-19f68398f1fa',
  ],
} as const;

const ns =
  'xmlns:upd="http://schemas.microsoft.com/msus/2002/12/Update" xmlns:cat="http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Category"';

export interface SyntheticOptions {
  readonly type?: 'Software' | 'Detectoid' | 'Category';
  readonly categoryType?: 'Product' | 'UpdateClassification' | 'Company' | 'ProductFamily';
  /** CNF clauses; `C:` prefix marks an IsCategory clause. */
  readonly prerequisites?: readonly (readonly string[])[];
  readonly categoryClauses?: readonly (readonly string[])[];
  readonly bundled?: readonly UpdateIdentity[];
  /** `patchingType`: the File's PatchingType attribute (SelfContained, Express, PSF), absent when unset. */
  readonly files?: readonly { name: string; sha1: Buffer; size: number; patchingType?: string }[];
  readonly title?: string;
  /** Extra bytes of description (size-limit tests). */
  readonly padding?: number;
}

/** A small, valid, clearly synthetic update document. */
export function syntheticDocument(id: string, revision: number, o: SyntheticOptions = {}): string {
  const type = o.type ?? 'Software';
  const clause = (c: readonly string[], isCategory: boolean) =>
    `<upd:AtLeastOne${isCategory ? ' IsCategory="true"' : ''}>${c.map((u) => `<upd:UpdateIdentity UpdateID="${u}" />`).join('')}</upd:AtLeastOne>`;
  const pre = [
    ...(o.prerequisites ?? []).map((c) => clause(c, false)),
    ...(o.categoryClauses ?? []).map((c) => clause(c, true)),
  ];
  const rel =
    (pre.length ? `<upd:Prerequisites>${pre.join('')}</upd:Prerequisites>` : '') +
    (o.bundled?.length
      ? `<upd:BundledUpdates>${o.bundled.map((b) => `<upd:UpdateIdentity UpdateID="${b.updateId}" RevisionNumber="${b.revisionNumber}" />`).join('')}</upd:BundledUpdates>`
      : '');
  const files = o.files?.length
    ? `<upd:Files>${o.files.map((f) => `<upd:File Digest="${f.sha1.toString('base64')}" DigestAlgorithm="SHA1" FileName="${f.name}" Size="${f.size}" Modified="2026-01-01T00:00:00Z"${f.patchingType === undefined ? '' : ` PatchingType="${f.patchingType}"`} />`).join('')}</upd:Files>`
    : '';
  const handler =
    type === 'Category'
      ? `<upd:HandlerSpecificData xsi:type="cat:Category" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><cat:CategoryInformation CategoryType="${o.categoryType ?? 'Product'}" /></upd:HandlerSpecificData>`
      : '';
  const props =
    type === 'Category' ? ' Handler="http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Category"' : '';
  return (
    `<upd:Update ${ns}><upd:UpdateIdentity UpdateID="${id}" RevisionNumber="${revision}" />` +
    `<upd:Properties UpdateType="${type}" DefaultPropertiesLanguage="en" PublicationState="Published" CreationDate="2026-01-01T00:00:00.000Z"${props} />` +
    `<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>${o.title ?? `SYNTHETIC (test) ${type} ${id}`}</upd:Title>` +
    (o.padding ? `<upd:Description>${'p'.repeat(o.padding)}</upd:Description>` : '') +
    `</upd:LocalizedProperties></upd:LocalizedPropertiesCollection>` +
    (rel ? `<upd:Relationships>${rel}</upd:Relationships>` : '') +
    files +
    handler +
    `</upd:Update>`
  );
}

function exchangeCabinet(n: string): Buffer {
  const r = decodeGetUpdateDataResult(
    decodeServerSyncResponse(
      readFixture('wsus', 'wsus-m0-wsusss', 'exchanges', n, 'response.body'),
      serverSyncNs,
      'GetUpdateData',
    ),
  );
  const b = r.updates[0]!.blob;
  if (b.kind !== 'compressed') throw new Error(`exchange ${n} has no cabinet`);
  return Buffer.from(b.base64, 'base64');
}

export interface RealCatalog {
  readonly entries: Omit<CatalogEntry, 'seq'>[];
  /** The real documents' identities. */
  readonly real: UpdateIdentity[];
  readonly synthetic: UpdateIdentity[];
}

export function buildRealCatalog(): RealCatalog {
  const dir = fixturePath('wsus', 'wsus-m0-wsusss', 'docs');
  const cabinets = new Map<string, Buffer>([
    [`${ids.defenderBundle}/200`, exchangeCabinet('000013')],
    [`${ids.microsoft}/101`, readFixture('cab', 'wsus', '56309036-4c77-4dd9-951a-99ee9c246a94-r101.cab')],
  ]);
  const entries: Omit<CatalogEntry, 'seq'>[] = [];
  const have = new Set<string>();
  const real: UpdateIdentity[] = [];
  const bundledChildren: UpdateIdentity[] = [];
  const childKeys = new Set<string>();
  for (const f of readdirSync(dir).sort()) {
    const text = readFixture('wsus', 'wsus-m0-wsusss', 'docs', f).toString('utf8').replace(/\n$/, '');
    const d = parseUpdateDocument(text);
    const key = `${d.identity.updateId}/${d.identity.revisionNumber}`;
    have.add(key);
    real.push(d.identity);
    for (const g of d.bundledUpdates)
      for (const c of g.anyOf) {
        const ck = `${c.updateId}/${c.revisionNumber}`;
        if (!childKeys.has(ck)) bundledChildren.push(c);
        childKeys.add(ck);
      }
    entries.push({ identity: d.identity, text, cabinet: cabinets.get(key), listed: true });
  }
  // Bundle children are reached through the closure, not the listing (as a product+classification filter on
  // Microsoft Update may not list them).
  for (const e of entries.splice(0))
    entries.push({ ...e, listed: !childKeys.has(`${e.identity.updateId}/${e.identity.revisionNumber}`) });
  const synthetic: UpdateIdentity[] = [];
  const add = (id: string, rev: number, o: SyntheticOptions, listed: boolean) => {
    const identity = { updateId: id, revisionNumber: rev };
    synthetic.push(identity);
    have.add(`${id}/${rev}`);
    entries.push({ identity, text: syntheticDocument(id, rev, o), listed });
  };
  add(
    ids.defender,
    100,
    {
      type: 'Category',
      categoryType: 'Product',
      categoryClauses: [[ids.windows]],
      title: 'SYNTHETIC (test) Microsoft Defender Antivirus',
    },
    true,
  );
  add(
    ids.definitionUpdates,
    100,
    { type: 'Category', categoryType: 'UpdateClassification', title: 'SYNTHETIC (test) Definition Updates' },
    true,
  );
  for (const d of ids.detectoids) add(d, 100, { type: 'Detectoid' }, true);
  for (const c of bundledChildren)
    if (!have.has(`${c.updateId}/${c.revisionNumber}`)) add(c.updateId, c.revisionNumber, {}, false);
  return { entries, real, synthetic };
}
