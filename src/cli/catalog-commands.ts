/**
 * `patchbay catalog status|quarantine|rollback|unpin|rollout|promote|hold|abort`: the served catalog generation,
 * quarantined revisions with their reason codes, an atomic switch back to an earlier generation that stays
 * pinned (syncs run but activate nothing) until `unpin`, and a ringed catalog change (docs/rings.md "Ringed
 * catalog changes"): its state and gate figures, and promote / hold / abort by hand (no rollout: PB_ERR_CONFLICT). Exit 0; errors use catalogue codes (rollback without a previous or to an
 * unknown generation: PB_ERR_CONFLICT / PB_ERR_NOT_FOUND).
 */
import type { Command } from 'commander';
import { checkStaleSync } from '../jobs/index.js';
import {
  createCatalogRolloutService,
  storedCatalogRings,
  type CatalogRolloutService,
  type RolloutStatus,
  catalogStatus,
  listQuarantine,
  planRollback,
  rollbackCatalog,
  unpinCatalog,
  type GenerationDiff,
} from '../sync/index.js';
import { createRepositories } from '../storage/index.js';
import type { CliIo } from './cli-io.js';
import {
  formatTable,
  formatTime,
  parseLimit,
  printJson,
  usage,
  withSyncCli,
  type SyncCliContext,
} from './sync-cli-support.js';

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

  catalog
    .command('rollout')
    .description(
      'the ringed catalog change in progress (or the last one): ring, since when, gate figures, next decision',
    )
    .option('--json', 'print JSON')
    .action(async (_o: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async (ctx) => {
        const st = await rollouts(ctx).status();
        if (ctx.json) return printJson(io, st ?? null);
        io.stdout(
          st === undefined ? 'no catalog rollout yet (rings: patchbay rings list)\n' : rolloutText(st),
        );
      });
    });

  const manual = (name: 'promote' | 'hold' | 'abort', description: string) =>
    catalog
      .command(name)
      .description(description)
      .option('--reason <text>', 'why (kept with the rollout and in the audit log)')
      .option('--json', 'print JSON')
      .action(async (opts: { reason?: string }, cmd: Command) => {
        if (opts.reason !== undefined && opts.reason.length > 500)
          throw usage('--reason is at most 500 characters');
        await withSyncCli(cmd, io, async (ctx) => {
          const service = rollouts(ctx);
          const r =
            name === 'promote'
              ? await service.promote('cli')
              : name === 'hold'
                ? await service.hold('cli', opts.reason)
                : await service.abort('cli', opts.reason);
          if (ctx.json) return printJson(io, r);
          io.stdout(
            r.state === 'completed'
              ? `generation ${r.generationId} promoted to every ring: it is the active generation\n`
              : r.state === 'aborted'
                ? `rollout of generation ${r.generationId} aborted: every ring is served generation ${r.previousGenerationId ?? '-'} again\n`
                : r.state === 'held'
                  ? `generation ${r.generationId} held in ring ${r.ringIndex}: ${r.heldReason ?? ''}\n`
                  : `generation ${r.generationId} promoted to ring ${r.ringIndex}; its soak starts now\n`,
          );
        });
      });
  manual(
    'promote',
    'move the rolling-out catalog generation to the next ring now (soaking or held), past its gate',
  );
  manual('hold', 'keep the rolling-out catalog generation in the rings it reached until promote or abort');
  manual(
    'abort',
    'withdraw the rolling-out catalog generation: every ring is served the previous generation again',
  );
}

function rollouts(ctx: SyncCliContext): CatalogRolloutService {
  return createCatalogRolloutService(ctx.db, { rings: storedCatalogRings(ctx.db), logger: ctx.logger });
}

function rolloutText(st: RolloutStatus): string {
  const r = st.rollout;
  const ring = st.rings[r.ringIndex] ?? '?';
  const lines = [
    `generation          ${r.generationId} (previous ${r.previousGenerationId ?? '-'}, rollout ${r.rolloutId})`,
    `state               ${r.state}${r.heldReason ? `: ${r.heldReason}` : ''}`,
    `ring                ${r.ringIndex} (${ring}) of ${st.rings.join(' -> ') || '(no rings)'}, since ${formatTime(r.ringEnteredAt)}`,
    `next decision       ${st.nextDecisionAt === null ? '-' : formatTime(st.nextDecisionAt)}`,
  ];
  const f = st.figures;
  if (f !== undefined)
    lines.push(
      `gate                ${f.active} active of ${f.computers} computers: ${f.clean} clean, ${f.faulted} faulted, ${f.silent} not (yet) scanned`,
      `                    fault rate ${(f.faultRate * 100).toFixed(1)} % (at most ${(f.maxFaultRate * 100).toFixed(1)} %), reported ${f.clean + f.faulted} (at least ${f.minReported})` +
        (f.faultCodes.length > 0
          ? `; codes ${f.faultCodes.map((c) => `${c.code} (${c.computers})`).join(', ')}`
          : ''),
    );
  return `${lines.join('\n')}\n`;
}
