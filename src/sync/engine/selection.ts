import { parseGuid } from '../../domain/index.js';
import { AppError } from '../../errors.js';
import { createRepositories, type DbHandle } from '../../storage/index.js';
import type { CategoryStore } from './selection-ports.js';

/**
 * What the admin synchronizes: products and classifications (GUIDs or category titles) and languages. Stored in
 * settings under `sync.selection`; until the admin sets one, the `[selection]` config section (defaults as
 * WSUS: Windows products; Critical, Security and Definition Updates; English) applies.
 */
export interface SyncSelection {
  readonly products: readonly string[];
  readonly classifications: readonly string[];
  readonly languages: readonly string[];
}

export const selectionSettingKey = 'sync.selection';

/** Well-known classification ids (docs/protocol/update-xml.md §3.6), so titles resolve before the first category sync. */
export const wellKnownClassifications: Readonly<Record<string, string>> = Object.freeze({
  applications: '5c9376ab-8ce6-464a-b136-22113dd69801',
  'critical updates': 'e6cf1350-c01b-414d-a61f-263d14d133b4',
  'definition updates': 'e0789628-ce08-4437-be74-2495b842f43b',
  'driver sets': '77835c8d-62a7-41f5-82ad-f28d1af1e3b1',
  drivers: 'ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0',
  'feature packs': 'b54e7d24-7add-428f-8b75-90a396fa584f',
  'security updates': '0fa1201d-4330-4fa8-8ae9-b877473b6441',
  'service packs': '68c5b0a3-d1a6-4553-ae49-01d3a7827828',
  tools: 'b4832bd8-e735-4761-8daf-37f882276dab',
  'update rollups': '28bc880e-0592-4cbf-8f95-c79b17911d5f',
  updates: 'cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83',
  upgrades: '3689bdc8-b205-4af4-8d4a-a63924c5e9d5',
});

export const defaultSelection: SyncSelection = Object.freeze({
  products: Object.freeze(['Windows']),
  classifications: Object.freeze(['Critical Updates', 'Security Updates', 'Definition Updates']),
  languages: Object.freeze(['en']),
});

export async function getSelection(
  db: DbHandle,
  fallback: SyncSelection = defaultSelection,
): Promise<SyncSelection> {
  const stored = await createRepositories(db).settings.get<SyncSelection>(selectionSettingKey);
  if (stored === undefined || stored === null || typeof stored !== 'object') return fallback;
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    products: list(stored.products),
    classifications: list(stored.classifications),
    languages: list(stored.languages),
  };
}

const maxEntries = 10_000;

/** Stores the admin's selection (CLI `products enable|disable`, ...). Entries are GUIDs or titles. */
export async function setSelection(
  db: DbHandle,
  selection: SyncSelection,
  updatedBy = 'admin',
): Promise<void> {
  const clean = (v: readonly string[], what: string) => {
    if (v.length > maxEntries) throw new AppError('PB_ERR_INVALID_PARAMETER', `too many ${what}`);
    return [...new Set(v.map((s) => s.trim()).filter((s) => s !== '' && s.length <= 512))];
  };
  await createRepositories(db).settings.set(
    selectionSettingKey,
    {
      products: clean(selection.products, 'products'),
      classifications: clean(selection.classifications, 'classifications'),
      languages: clean(selection.languages, 'languages'),
    },
    updatedBy,
  );
}

export interface CategoryEntry {
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly categoryType: string | null;
  readonly title: string | null;
  /** Parent categories (IsCategory prerequisites), e.g. Windows (ProductFamily) for a Windows product. */
  readonly parents: readonly string[];
}

/** Every category the last syncs stored, with its parents, so the admin can choose after a first sync. */
export async function listCategories(db: DbHandle): Promise<CategoryEntry[]> {
  const categories: CategoryStore = createRepositories(db).categories;
  return categories.listWithParents();
}

/**
 * Resolves a selection to the GUID lists of the GetRevisionIdList filter. A product entry that names a
 * ProductFamily or Company (by GUID or title, case-insensitive) stands for every Product below it (WSUS's
 * "Windows" = all Windows products); an unknown GUID is kept as given; an unknown title resolves to nothing.
 */
export function resolveSelection(
  selection: SyncSelection,
  categories: readonly CategoryEntry[],
): { products: string[]; classifications: string[]; unresolved: string[] } {
  const byId = new Map(categories.map((c) => [c.updateId, c]));
  const children = new Map<string, string[]>();
  for (const c of categories)
    for (const p of c.parents) {
      let l = children.get(p);
      if (!l) children.set(p, (l = []));
      l.push(c.updateId);
    }
  const unresolved: string[] = [];
  const matches = (entry: string): string[] => {
    const g = parseGuid(entry);
    if (g !== undefined) return [g];
    const t = entry.trim().toLowerCase();
    return categories.filter((c) => c.title?.trim().toLowerCase() === t).map((c) => c.updateId);
  };
  const products = new Set<string>();
  for (const entry of selection.products) {
    const ids = matches(entry);
    if (ids.length === 0) unresolved.push(entry);
    for (const id of ids) {
      const stack = [id];
      const seen = new Set<string>();
      while (stack.length > 0) {
        const cur = stack.pop()!;
        if (seen.has(cur)) continue;
        seen.add(cur);
        const c = byId.get(cur);
        if (c === undefined || c.categoryType === 'Product') products.add(cur);
        if (c !== undefined && c.categoryType !== 'Product' && c.categoryType !== 'UpdateClassification')
          stack.push(...(children.get(cur) ?? []));
      }
    }
  }
  const classifications = new Set<string>();
  for (const entry of selection.classifications) {
    const ids = matches(entry).filter((id) => {
      const c = byId.get(id);
      return c === undefined || c.categoryType === 'UpdateClassification';
    });
    const known = wellKnownClassifications[entry.trim().toLowerCase()];
    if (ids.length === 0 && known !== undefined) ids.push(known);
    if (ids.length === 0) unresolved.push(entry);
    for (const id of ids) classifications.add(id);
  }
  return { products: [...products].sort(), classifications: [...classifications].sort(), unresolved };
}
