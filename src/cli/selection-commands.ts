/**
 * `patchbay products|classifications|languages list|enable|disable`: what the synchronization asks the
 * upstream for. Entries are category titles (case-insensitive) or GUIDs; a product family or company stands for
 * every product below it. The first sync stores the upstream's categories, so `list` can show them; before
 * that `list` says so. Changes apply from the next sync. Exit 0; an unknown name is PB_ERR_NOT_FOUND (66).
 */
import type { Command } from 'commander';
import { parseGuid } from '../domain/index.js';
import { AppError } from '../errors.js';
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
import type { Config } from '../config/index.js';
import type { CliIo } from './cli-io.js';
import { formatTable, printJson, withSyncCli } from './sync-cli-support.js';

type Kind = 'products' | 'classifications' | 'languages';

/** Where the sync engine keeps the upstream's GetConfigData answer (its languages). */
const upstreamConfigSetting = 'sync.upstreamConfig';

function configSelection(config: Config): SyncSelection {
  return {
    products: [...config.selection.products],
    classifications: [...config.selection.classifications],
    languages: [...config.selection.languages],
  };
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

interface Row {
  readonly id: string;
  readonly title: string;
  readonly type: string;
  readonly enabled: boolean;
  /** Enabled through a selected product family or company. */
  readonly via: string | undefined;
}

function categoryRows(
  kind: 'products' | 'classifications',
  sel: SyncSelection,
  cats: readonly CategoryEntry[],
): Row[] {
  const types =
    kind === 'products'
      ? new Set(['Company', 'ProductFamily', 'Product'])
      : new Set(['UpdateClassification']);
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

async function upstreamLanguages(db: DbHandle): Promise<{ short: string; long: string }[]> {
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

export function registerSelectionCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  for (const kind of ['products', 'classifications', 'languages'] as const) {
    const group = program.command(kind).description(`the ${kind} synchronized from the upstream`);

    group
      .command('list')
      .description(`list ${kind} and whether each is selected`)
      .option('--json', 'print JSON')
      .option('--enabled', 'only the selected ones')
      .action(async (opts: { enabled?: boolean }, cmd: Command) => {
        await withSyncCli(cmd, io, async ({ config, db, json }) => {
          const sel = await getSelection(db, configSelection(config));
          if (kind === 'languages') {
            const langs = await upstreamLanguages(db);
            const rows = langs
              .map((l) => ({
                code: l.short,
                name: l.long,
                enabled: sel.languages.some((x) => same(x, l.short)),
              }))
              .filter((r) => !opts.enabled || r.enabled);
            if (json)
              return printJson(io, { selection: sel.languages, synced: langs.length > 0, languages: rows });
            if (langs.length === 0) {
              io.stdout(
                `no upstream language list yet: run \`patchbay sync\` once to fetch it.\nselected: ${sel.languages.join(', ') || '(none)'}\n`,
              );
              return;
            }
            io.stdout(
              formatTable(
                ['code', 'language', 'enabled'],
                rows.map((r) => [r.code, r.name, r.enabled ? 'yes' : '']),
              ),
            );
            return;
          }
          const cats = await listCategories(db);
          const rows = categoryRows(kind, sel, cats).filter((r) => !opts.enabled || r.enabled);
          const entries = kind === 'products' ? sel.products : sel.classifications;
          if (json) return printJson(io, { selection: entries, synced: cats.length > 0, [kind]: rows });
          if (cats.length === 0) {
            io.stdout(
              `no categories yet: run \`patchbay sync\` once; the first synchronization lists the upstream's ${kind} so you can choose.\n` +
                `selected: ${entries.join(', ') || '(none)'}\n`,
            );
            if (kind === 'classifications')
              io.stdout(`known classifications: ${Object.keys(wellKnownClassifications).join(', ')}\n`);
            return;
          }
          io.stdout(
            formatTable(
              ['id', 'type', 'title', 'enabled'],
              rows.map((r) => [
                r.id,
                r.type,
                r.title,
                r.enabled ? (r.via ? `yes (via ${r.via})` : 'yes') : '',
              ]),
            ),
          );
        });
      });

    for (const action of ['enable', 'disable'] as const) {
      group
        .command(`${action} <names...>`)
        .description(`${action} ${kind} by title or GUID (takes effect at the next sync)`)
        .option('--json', 'print the new selection as JSON')
        .action(async (names: string[], _o: unknown, cmd: Command) => {
          await withSyncCli(cmd, io, async ({ config, db, json }) => {
            const sel = await getSelection(db, configSelection(config));
            const next = await changeSelection(db, kind, sel, names, action);
            await setSelection(db, next, 'cli');
            if (json) return printJson(io, next);
            // Entries may be GUIDs (given as such, or a family expanded into its products): print titles.
            const titles = new Map((await listCategories(db)).map((c) => [c.updateId, c.title]));
            const shown = next[kind].map((e) => titles.get(e.toLowerCase()) ?? e);
            io.stdout(`${kind}: ${shown.join(', ') || '(none)'}\n`);
            if (next[kind].length === 0 && kind !== 'languages')
              io.stdout(`WARNING: with no ${kind} selected, the next synchronization fetches no updates\n`);
          });
        });
    }
  }
}

async function changeSelection(
  db: DbHandle,
  kind: Kind,
  sel: SyncSelection,
  names: readonly string[],
  action: 'enable' | 'disable',
): Promise<SyncSelection> {
  let entries = [...sel[kind]];
  if (kind === 'languages') {
    const langs = await upstreamLanguages(db);
    for (const n of names) {
      if (!/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/.test(n))
        throw new AppError('PB_ERR_USAGE', `"${n}" is not a language code such as en or pt-BR`);
      if (action === 'enable' && langs.length > 0 && !langs.some((l) => same(l.short, n)))
        throw new AppError(
          'PB_ERR_NOT_FOUND',
          `the upstream offers no language "${n}" (see: patchbay languages list)`,
        );
      entries =
        action === 'enable' ? [...entries.filter((e) => !same(e, n)), n] : entries.filter((e) => !same(e, n));
    }
    return { ...sel, languages: entries };
  }
  const cats = await listCategories(db);
  const types =
    kind === 'products'
      ? new Set(['Company', 'ProductFamily', 'Product'])
      : new Set(['UpdateClassification']);
  const known = cats.filter((c) => c.categoryType !== null && types.has(c.categoryType));
  for (const n of names) {
    const guid = parseGuid(n);
    const match = known.filter((c) =>
      guid !== undefined ? c.updateId === guid : c.title !== null && same(c.title, n),
    );
    const isWellKnown =
      kind === 'classifications' && wellKnownClassifications[n.trim().toLowerCase()] !== undefined;
    if (match.length === 0 && guid === undefined && !(cats.length === 0 || isWellKnown))
      throw new AppError(
        'PB_ERR_NOT_FOUND',
        `no ${kind.slice(0, -1)} named "${n}" (see: patchbay ${kind} list)`,
      );
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
