/**
 * `patchbay products|classifications|languages list|enable|disable`: what the synchronization asks the
 * upstream for. Entries are category titles (case-insensitive) or GUIDs; a product family or company stands for
 * every product below it. The first sync stores the upstream's categories, so `list` can show them; before
 * that `list` says so. Changes apply from the next sync. Exit 0; an unknown name is PB_ERR_INVALID_PARAMETER
 * (65) with the closest known name. The logic is src/operations/selection-admin.ts, shared with the REST API.
 */
import type { Command } from 'commander';
import {
  changeSelection,
  configSelection,
  listSelection,
  selectionKinds,
  storeSelection,
} from '../operations/index.js';
import { getSelection, listCategories, wellKnownClassifications } from '../sync/index.js';
import { actorText } from '../fleet/index.js';
import { cliActor } from './admin-cli-support.js';
import type { CliIo } from './cli-io.js';
import { formatTable, printJson, withSyncCli } from './sync-cli-support.js';

export function registerSelectionCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  for (const kind of selectionKinds) {
    const group = program.command(kind).description(`the ${kind} synchronized from the upstream`);

    group
      .command('list')
      .description(`list ${kind} and whether each is selected`)
      .option('--json', 'print JSON')
      .option('--enabled', 'only the selected ones')
      .action(async (opts: { enabled?: boolean }, cmd: Command) => {
        await withSyncCli(cmd, io, async ({ config, db, json }) => {
          const l = await listSelection(db, config, kind, { enabledOnly: opts.enabled === true });
          if (json) return printJson(io, l);
          if (!l.synced) {
            io.stdout(
              kind === 'languages'
                ? `no upstream language list yet: run \`patchbay sync\` once to fetch it.\nselected: ${l.selection.join(', ') || '(none)'}\n`
                : `no categories yet: run \`patchbay sync\` once; the first synchronization lists the upstream's ${kind} so you can choose.\n` +
                    `selected: ${l.selection.join(', ') || '(none)'}\n`,
            );
            if (kind === 'classifications')
              io.stdout(`known classifications: ${Object.keys(wellKnownClassifications).join(', ')}\n`);
            return;
          }
          if (kind === 'languages') {
            io.stdout(
              formatTable(
                ['code', 'language', 'enabled'],
                (l.languages ?? []).map((r) => [r.code, r.name, r.enabled ? 'yes' : '']),
              ),
            );
            return;
          }
          io.stdout(
            formatTable(
              ['id', 'type', 'title', 'enabled'],
              (l[kind] ?? []).map((r) => [
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
            await storeSelection(db, kind, sel, next, actorText(cliActor(io)));
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
