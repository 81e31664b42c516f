/**
 * `patchbay catalog status|quarantine|rollback`: the served catalog generation, quarantined revisions with
 * their reason codes, and an atomic switch back to the previous generation. Exit 0; errors use catalogue codes
 * (rollback without a previous generation: PB_ERR_CONFLICT / PB_ERR_NOT_FOUND).
 */
import type { Command } from 'commander';
import { checkStaleSync } from '../jobs/index.js';
import { catalogStatus, listQuarantine, rollbackCatalog } from '../sync/index.js';
import type { CliIo } from './cli-io.js';
import { formatTable, formatTime, parseLimit, printJson, withSyncCli } from './sync-cli-support.js';

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
          checkStaleSync(db, { staleAfterMs }),
        ]);
        if (json)
          return printJson(io, { ...s, stale: stale.stale, lastGoodSyncAt: stale.lastGoodAt ?? null });
        const a = s.active;
        io.stdout(
          `active generation   ${a ? `${a.generationId} (${a.memberCount} revisions, activated ${formatTime(a.activatedAt)})` : 'none: no synchronization has completed yet (run `patchbay sync`)'}\n` +
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
      'make the previous catalog generation active again (atomic; clients see it on their next scan)',
    )
    .option('--json', 'print JSON')
    .action(async (_o: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ db, json }) => {
        const g = await rollbackCatalog(db);
        if (json) return printJson(io, g);
        io.stdout(`generation ${g.generationId} is active again (${g.memberCount} revisions)\n`);
      });
    });
}
