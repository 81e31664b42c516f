/**
 * The synchronization selection as an administrator sees and changes it: the products, classifications and
 * languages asked from the upstream, by title (case-insensitive) or GUID. `patchbay products|classifications|
 * languages` and `GET/PUT /api/v1/products|classifications|languages` both call these. A product family or
 * company stands for every product below it. A name that matches nothing is refused with the closest known
 * name as a suggestion (PB_ERR_INVALID_PARAMETER: exit 65, HTTP 400): selecting nothing by a typo would make
 * the next sync fetch nothing without a word.
 */
import type { Config } from '../config/index.js';
import { parseGuid } from '../domain/index.js';
import { AppError } from '../errors.js';
import { unknownNameError } from '../fleet/index.js';
import { createRepositories, type DbHandle } from '../storage/index.js';
import {
  getSelection,
  listCategories,
  resolveSelection,
  setSelection,
  wellKnownClassifications,
  type CategoryEntry,
  type SyncSelection,
} from '../sync/index.js';

export const selectionKinds = ['products', 'classifications', 'languages'] as const;
export type SelectionKind = (typeof selectionKinds)[number];

/** Where the sync engine keeps the upstream's GetConfigData answer (its languages). */
const upstreamConfigSetting = 'sync.upstreamConfig';

export function configSelection(config: Config): SyncSelection {
  return {
    products: [...config.selection.products],
    classifications: [...config.selection.classifications],
    languages: [...config.selection.languages],
  };
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export interface SelectionRow {
  readonly id: string;
  readonly title: string;
  readonly type: string;
  readonly enabled: boolean;
  /** Enabled through a selected product family or company. */
  readonly via: string | undefined;
}

export interface LanguageRow {
  readonly code: string;
  readonly name: string;
  readonly enabled: boolean;
}

/** `products list --json` (and the same for classifications and languages). */
export interface SelectionListing {
  /** The entries as stored (titles or GUIDs). */
  readonly selection: readonly string[];
  /** Whether a first sync stored the upstream's categories (or languages) to choose from. */
  readonly synced: boolean;
  readonly products?: SelectionRow[];
  readonly classifications?: SelectionRow[];
  readonly languages?: LanguageRow[];
}

function typesOf(kind: 'products' | 'classifications'): Set<string> {
  return kind === 'products'
    ? new Set(['Company', 'ProductFamily', 'Product'])
    : new Set(['UpdateClassification']);
}

function categoryRows(
  kind: 'products' | 'classifications',
  sel: SyncSelection,
  cats: readonly CategoryEntry[],
): SelectionRow[] {
  const types = typesOf(kind);
  const resolved = resolveSelection(sel, cats);
  const on = new Set(kind === 'products' ? resolved.products : resolved.classifications);
  const entries = kind === 'products' ? sel.products : sel.classifications;
  const direct = (c: CategoryEntry) =>
    entries.some((e) => same(e, c.updateId) || (c.title !== null && same(e, c.title)));
  const byId = new Map(cats.map((c) => [c.updateId, c]));
  return cats
    .filter((c) => c.categoryType !== null && types.has(c.categoryType))
    .map((c) => {
      const isDirect = direct(c);
      const parent = c.parents.map((p) => byId.get(p)).find((p) => p !== undefined && direct(p));
      return {
        id: c.updateId,
        title: c.title ?? '(untitled)',
        type: c.categoryType ?? '',
        enabled: isDirect || on.has(c.updateId),
        via: !isDirect && on.has(c.updateId) ? (parent?.title ?? undefined) : undefined,
      };
    });
}

export async function upstreamLanguages(db: DbHandle): Promise<{ short: string; long: string }[]> {
  const v = await createRepositories(db).settings.get<{ languages?: unknown }>(upstreamConfigSetting);
  const list = Array.isArray(v?.languages) ? (v.languages as unknown[]) : [];
  return list
    .filter(
      (l): l is { shortLanguage: string; longLanguage: string } =>
        typeof l === 'object' &&
        l !== null &&
        typeof (l as { shortLanguage?: unknown }).shortLanguage === 'string' &&
        typeof (l as { longLanguage?: unknown }).longLanguage === 'string',
    )
    .map((l) => ({ short: l.shortLanguage, long: l.longLanguage }));
}

/** The selection of one kind with every known entry and whether it is selected. */
export async function listSelection(
  db: DbHandle,
  config: Config,
  kind: SelectionKind,
  o: { enabledOnly?: boolean } = {},
): Promise<SelectionListing> {
  const sel = await getSelection(db, configSelection(config));
  if (kind === 'languages') {
    const langs = await upstreamLanguages(db);
    const rows = langs
      .map((l) => ({ code: l.short, name: l.long, enabled: sel.languages.some((x) => same(x, l.short)) }))
      .filter((r) => o.enabledOnly !== true || r.enabled);
    return { selection: sel.languages, synced: langs.length > 0, languages: rows };
  }
  const cats = await listCategories(db);
  const rows = categoryRows(kind, sel, cats).filter((r) => o.enabledOnly !== true || r.enabled);
  return {
    selection: kind === 'products' ? sel.products : sel.classifications,
    synced: cats.length > 0,
    [kind]: rows,
  };
}

/** `enable` / `disable` by title or GUID: the new selection (not stored; see setSelectionFor). */
export async function changeSelection(
  db: DbHandle,
  kind: SelectionKind,
  sel: SyncSelection,
  names: readonly string[],
  action: 'enable' | 'disable',
): Promise<SyncSelection> {
  let entries = [...sel[kind]];
  if (kind === 'languages') {
    const langs = await upstreamLanguages(db);
    for (const n of names) {
      checkLanguageCode(n);
      if (action === 'enable' && langs.length > 0 && !langs.some((l) => same(l.short, n)))
        throw unknownNameError(
          'language',
          'languages',
          n,
          langs.map((l) => l.short),
        );
      entries =
        action === 'enable' ? [...entries.filter((e) => !same(e, n)), n] : entries.filter((e) => !same(e, n));
    }
    return { ...sel, languages: entries };
  }
  const cats = await listCategories(db);
  const known = knownOf(kind, cats);
  for (const n of names) {
    const match = matchName(kind, n, cats, known);
    const guid = parseGuid(n);
    const label = guid ?? n.trim();
    const refersTo = (e: string) =>
      same(e, label) || match.some((c) => same(e, c.updateId) || (c.title !== null && same(e, c.title)));
    if (action === 'enable') {
      if (!entries.some(refersTo)) entries.push(label);
      continue;
    }
    const before = entries.length;
    entries = entries.filter((e) => !refersTo(e));
    if (kind === 'products' && match.length > 0) {
      // Selected through its family or company: replace those entries by their other products.
      const ids = new Set(match.map((c) => c.updateId));
      const covering = entries.filter((e) =>
        resolveSelection({ products: [e], classifications: [], languages: [] }, cats).products.some((p) =>
          ids.has(p),
        ),
      );
      for (const e of covering) {
        const expanded = resolveSelection(
          { products: [e], classifications: [], languages: [] },
          cats,
        ).products;
        entries = [...entries.filter((x) => x !== e), ...expanded.filter((p) => !ids.has(p))];
      }
      if (before === entries.length && covering.length === 0)
        throw new AppError('PB_ERR_NOT_FOUND', `"${n}" is not selected`);
    } else if (before === entries.length) throw new AppError('PB_ERR_NOT_FOUND', `"${n}" is not selected`);
  }
  return { ...sel, [kind]: [...new Set(entries)] };
}

/**
 * Replaces the whole list of one kind (`PUT /api/v1/products`): every name must name a known entry (after the
 * first sync) or be a GUID; an unknown one is refused with a suggestion and nothing changes.
 */
export async function replaceSelection(
  db: DbHandle,
  kind: SelectionKind,
  sel: SyncSelection,
  names: readonly string[],
): Promise<SyncSelection> {
  if (kind === 'languages') {
    const langs = await upstreamLanguages(db);
    for (const n of names) {
      checkLanguageCode(n);
      if (langs.length > 0 && !langs.some((l) => same(l.short, n)))
        throw unknownNameError(
          'language',
          'languages',
          n,
          langs.map((l) => l.short),
        );
    }
    return { ...sel, languages: [...new Set(names.map((n) => n.trim()))] };
  }
  const cats = await listCategories(db);
  const known = knownOf(kind, cats);
  const entries = names.map((n) => {
    matchName(kind, n, cats, known);
    return parseGuid(n) ?? n.trim();
  });
  return { ...sel, [kind]: [...new Set(entries)] };
}

/** Stores a selection changed by changeSelection or replaceSelection, and audits it. */
export async function storeSelection(
  db: DbHandle,
  kind: SelectionKind,
  before: SyncSelection,
  next: SyncSelection,
  actor: string,
): Promise<void> {
  await setSelection(db, next, actor);
  await createRepositories(db).auditLog.append({
    actor,
    action: `selection.${kind}`,
    targetType: 'setting',
    targetId: 'sync.selection',
    detail: { from: before[kind], to: next[kind] },
  });
}

function checkLanguageCode(n: string): void {
  if (!/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/.test(n))
    throw new AppError(
      'PB_ERR_INVALID_PARAMETER',
      `"${n.slice(0, 40)}" is not a language code such as en or pt-BR`,
      {
        detail: { parameter: 'languages' },
      },
    );
}

function knownOf(kind: 'products' | 'classifications', cats: readonly CategoryEntry[]): CategoryEntry[] {
  const types = typesOf(kind);
  return cats.filter((c) => c.categoryType !== null && types.has(c.categoryType));
}

/** The categories `n` names; refused (with a suggestion) when it names none once categories are known. */
function matchName(
  kind: 'products' | 'classifications',
  n: string,
  cats: readonly CategoryEntry[],
  known: readonly CategoryEntry[],
): CategoryEntry[] {
  const guid = parseGuid(n);
  const match = known.filter((c) =>
    guid !== undefined ? c.updateId === guid : c.title !== null && same(c.title, n),
  );
  const isWellKnown =
    kind === 'classifications' && wellKnownClassifications[n.trim().toLowerCase()] !== undefined;
  if (match.length === 0 && guid === undefined && !(cats.length === 0 || isWellKnown))
    throw unknownNameError(
      kind.slice(0, -1),
      kind,
      n,
      known.map((c) => c.title).filter((t): t is string => t !== null),
    );
  return match;
}
