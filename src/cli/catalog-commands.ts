/**
 * `patchbay catalog status|quarantine|rollback|unpin`: the served catalog generation, quarantined revisions
 * with their reason codes, an atomic switch back to an earlier generation that stays pinned (syncs run but
 * activate nothing) until `unpin`. Exit 0; errors use catalogue codes (rollback without a previous or to an
 * unknown generation: PB_ERR_CONFLICT / PB_ERR_NOT_FOUND).
 */
import type { Command } from 'commander';
import { checkStaleSync } from '../jobs/index.js';
import {
  catalogStatus,
  listQuarantine,
  planRollback,
  rollbackCatalog,
  unpinCatalog,
  type GenerationDiff,
} from '../sync/index.js';
import { createRepositories } from '../storage/index.js';
import type { CliIo } from './cli-io.js';
import { formatTable, formatTime, parseLimit, printJson, usage, withSyncCli } from './sync-cli-support.js';

/** How many changed updates a dry run lists in text (all of them with --json). */
const dryRunRows = 50;

function diffText(d: GenerationDiff): string {
  const rows = [
    ...d.added.map((u) => ['added', u.updateId, String(u.revisionNumber), u.updateType, u.title ?? '']),
    ...d.removed.map((u) => ['removed', u.updateId, String(u.revisionNumber), u.updateType, u.title ?? '']),
    ...d.changed.map((u) => [
      'changed',
      u.updateId,
      `${u.fromRevisionNumber} -> ${u.revisionNumber}`,
      u.updateType,
      u.title ?? '',
    ]),
  ];
  const head =
    `rolling back from generation ${d.fromGenerationId} to ${d.toGenerationId} changes what clients are offered:\n` +
    `  added    ${d.added.length}\n  removed  ${d.removed.length}\n  changed  ${d.changed.length}\n`;
  if (rows.length === 0) return head;
  const more = rows.length > dryRunRows ? `... ${rows.length - dryRunRows} more (see --json)\n` : '';
  return `${head}\n${formatTable(['change', 'update', 'revision', 'type', 'title'], rows.slice(0, dryRunRows))}${more}`;
}

function parseGeneration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) === 0)
    throw usage(`--to must be a generation number (see patchbay catalog status), got ${value}`);
  return Number(value);
}

export function registerCatalogCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const catalog = program.command('catalog').description('catalog generations, quarantine and rollback');

  catalog
    .command('status')
    .description('the active generation, revision and quarantine counts, the last synchronization')
    .option('--json', 'print JSON')
    .action(async (_o: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ config, db, json }) => {
        const staleAfterMs = config.sync.staleAfterHours * 3_600_000;
        const [s, stale] = await Promise.all([
          catalogStatus(db, { staleAfterMs }),
          // Only metadata runs make the catalog fresh (content runs are in the same history).
          checkStaleSync(createRepositories(db), { staleAfterMs }),
        ]);
        if (json)
          return printJson(io, { ...s, stale: stale.stale, lastGoodSyncAt: stale.lastGoodAt ?? null });
        const a = s.active;
        io.stdout(
          `active generation   ${a ? `${a.generationId} (${a.memberCount} revisions, activated ${formatTime(a.activatedAt)})` : 'none: no synchronization has completed yet (run `patchbay sync`)'}\n` +
            `pinned              ${s.pin ? `to generation ${s.pin.generationId} since ${formatTime(s.pin.pinnedAt)}: synchronizations run but are not activated (patchbay catalog unpin)` : 'no'}\n` +
            `previous            ${a?.previousGenerationId ?? '-'}\n` +
            `revisions stored    ${s.revisions}\n` +
            `quarantined         ${s.quarantined}${s.quarantined > 0 ? '  (see: patchbay catalog quarantine)' : ''}\n` +
            `last run            ${s.lastRun ? `${s.lastRun.syncRunId} ${s.lastRun.kind} ${s.lastRun.outcome} at ${formatTime(s.lastRun.startedAt)}` : 'never'}\n` +
            `last good sync      ${formatTime(stale.lastGoodAt)}${stale.stale ? `  WARNING: stale (older than ${config.sync.staleAfterHours} h or missing)` : ''}\n`,
        );
        if (s.recentGenerations.length > 0)
          io.stdout(
            `\n${formatTable(
              ['generation', 'state', 'revisions', 'sync run', 'created', 'activated'],
              s.recentGenerations.map((g) => [
                g.generationId,
                g.state,
                g.memberCount,
                g.syncRunId ?? '-',
                formatTime(g.createdAt),
                formatTime(g.activatedAt),
              ]),
            )}`,
          );
      });
    });

  catalog
    .command('quarantine')
    .description('revisions held out of the catalog, with reason codes and the next retry')
    .option('--json', 'print JSON')
    .option('--reason <code>', 'only this reason code')
    .option('--limit <n>', 'rows to show (default 1000)')
    .action(async (opts: { reason?: string; limit?: string }, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ db, json }) => {
        const rows = await listQuarantine(db, {
          ...(opts.reason ? { reasonCode: opts.reason } : {}),
          limit: parseLimit(opts.limit, 1000),
        });
        if (json) return printJson(io, rows);
        if (rows.length === 0) return io.stdout('no revision is quarantined\n');
        io.stdout(
          formatTable(
            ['update', 'rev', 'reason', 'caused by', 'retries', 'next retry', 'detail'],
            rows.map((q) => [
              q.updateId,
              q.revisionNumber,
              q.reasonCode,
              q.causedByUpdateId ?? '-',
              q.retryCount,
              q.nextRetryAt === null ? 'never' : formatTime(q.nextRetryAt),
              (q.detail ?? '').replace(/\s+/g, ' ').slice(0, 100),
            ]),
          ),
        );
      });
    });

  catalog
    .command('rollback')
    .description(
      'serve an earlier catalog generation again (atomic; clients see it on their next scan) and pin it: ' +
        'synchronizations keep running but activate nothing until `catalog unpin`',
    )
    .option('--to <generation>', 'the generation to serve (default: the one the active generation replaced)')
    .option('--dry-run', 'show the updates clients would gain, lose or see re-revised; change nothing')
    .option('--json', 'print JSON')
    .action(async (opts: { to?: string; dryRun?: boolean }, cmd: Command) => {
      const to = parseGeneration(opts.to);
      await withSyncCli(cmd, io, async ({ db, json }) => {
        const target = to === undefined ? {} : { to };
        if (opts.dryRun === true) {
          const diff = await planRollback(db, target);
          if (json) return printJson(io, { dryRun: true, ...diff });
          return io.stdout(
            `${diffText(diff)}dry run: nothing changed; run without --dry-run to serve and pin generation ${diff.toGenerationId}\n`,
          );
        }
        const r = await rollbackCatalog(db, { ...target, pinnedBy: 'cli' });
        if (json) return printJson(io, { ...r, pinned: true });
        io.stdout(
          (r.replaced === undefined
            ? `generation ${r.active.generationId} is already active (${r.active.memberCount} revisions)`
            : `generation ${r.active.generationId} is active again (${r.active.memberCount} revisions; generation ${r.replaced.generationId} rolled back)`) +
            ` and pinned: synchronizations keep running but activate nothing until \`patchbay catalog unpin\`\n`,
        );
      });
    });

  catalog
    .command('unpin')
    .description('end the pin `catalog rollback` set: the next synchronization activates what it builds')
    .option('--json', 'print JSON')
    .action(async (_o: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ db, json }) => {
        const pin = await unpinCatalog(db);
        if (json) return printJson(io, { unpinned: pin ?? null });
        io.stdout(
          pin === undefined
            ? 'the catalog is not pinned\n'
            : `unpinned generation ${pin.generationId}: the next synchronization activates the catalog it builds\n`,
        );
      });
    });
}
