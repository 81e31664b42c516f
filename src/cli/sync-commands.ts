/**
 * `patchbay sync` (one synchronization now: metadata, then content), `patchbay sync history` and
 * `patchbay sync status`. Exit codes: 0 synchronized; 1 synchronized with problems (revisions quarantined or
 * files that failed to download; the new catalog is active); otherwise the error's catalogue code (66 no
 * database: only `db migrate` and `serve` create one; 69 upstream unavailable; 75 another synchronization is
 * running or the upstream timed out; 76 protocol/TLS; ...).
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import type { ContentProgress } from '../content-sync/index.js';
import { describeHolder, processHolder } from '../jobs/index.js';
import { syncStatus, syncSummary } from '../operations/index.js';
import { createRepositories, openContentStore, type SyncRunRecord } from '../storage/index.js';
import {
  runSyncPipeline,
  UpstreamTransport,
  transportOptionsFromConfig,
  type SyncProgress,
} from '../sync/index.js';
import { processIo, type CliIo } from './cli-io.js';
import {
  formatBytes,
  formatDuration,
  formatTable,
  formatTime,
  parseLimit,
  phaseCounter,
  printJson,
  withSyncCli,
} from './sync-cli-support.js';

/** Exit code of a synchronization that completed with quarantined revisions or failed files. */
export const exitSyncPartial = 1;

interface Reporter {
  sync(p: SyncProgress): void;
  content(p: ContentProgress): void;
  stop(): void;
}

/** A cli-progress bar on a terminal; plain lines (one per phase, then at most every 5 s) otherwise. */
function createReporter(io: CliIo, tty: boolean, quiet: boolean): Reporter {
  const label = (p: SyncProgress) => {
    const c = p.counters;
    return (
      `categories ${c.categoriesListed ?? 0}  listed ${c.revisionsListed ?? 0}  fetched ${c.revisionsFetched ?? 0}` +
      `  imported ${c.revisionsImported ?? 0}  quarantined ${c.revisionsQuarantined ?? 0}`
    );
  };
  if (quiet) return { sync: () => undefined, content: () => undefined, stop: () => undefined };
  if (tty) {
    const bar = new SingleBar(
      {
        format: '{phase} [{bar}] {value}/{total}  {detail}',
        hideCursor: true,
        clearOnComplete: false,
        stream: process.stderr,
        fps: 5,
      },
      Presets.shades_classic,
    );
    let started = false;
    let phase = '';
    const counter = phaseCounter();
    return {
      sync: (p) => {
        const { value, total } = counter(p);
        if (!started) {
          bar.start(total, 0, { phase: p.phase.padEnd(10), detail: label(p) });
          started = true;
        }
        phase = p.phase;
        bar.setTotal(total);
        bar.update(value, { phase: p.phase.padEnd(10), detail: label(p) });
      },
      content: (p) => {
        if (!started) {
          bar.start(1, 0, { phase: 'content', detail: '' });
          started = true;
        }
        if (phase !== 'content') {
          phase = 'content';
        }
        bar.setTotal(Math.max(p.bytesTotal, 1));
        bar.update(p.bytesDownloaded, {
          phase: 'content'.padEnd(10),
          detail: `files ${p.filesDone}/${p.filesTotal}  failed ${p.filesFailed}  ${formatBytes(p.bytesDownloaded)}`,
        });
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastPhase = '';
  let lastAt = 0;
  const due = (phase: string) => {
    const now = Date.now();
    if (phase === lastPhase && now - lastAt < 5000) return false;
    lastPhase = phase;
    lastAt = now;
    return true;
  };
  return {
    sync: (p) => {
      if (due(p.phase)) io.stderr(`sync: ${p.phase}: ${label(p)}\n`);
    },
    content: (p) => {
      if (due('content'))
        io.stderr(
          `sync: content: files ${p.filesDone}/${p.filesTotal}, failed ${p.filesFailed}, ` +
            `${formatBytes(p.bytesDownloaded)} of ${formatBytes(p.bytesTotal)}\n`,
        );
    },
    stop: () => undefined,
  };
}

function countersText(c: Readonly<Record<string, number>>): string {
  const keys = Object.keys(c).filter((k) => c[k] !== 0);
  return keys.length === 0 ? '-' : keys.map((k) => `${k}=${c[k]}`).join(' ');
}

export function registerSyncCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const sync = program
    .command('sync')
    .description('synchronize with the upstream now (metadata, then content), with progress and a summary')
    .option('--json', 'print the summary as JSON')
    .option('--no-content', 'skip the content download')
    .option('--quiet', 'no progress output')
    .action(async (opts: { content: boolean; quiet?: boolean }, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ config, db, logger, json }) => {
        const transport = new UpstreamTransport(transportOptionsFromConfig(config, { logger, env: io.env }));
        const store = await openContentStore(config);
        const tty = io === processIo && process.stderr.isTTY === true && !json;
        const reporter = createReporter(io, tty, opts.quiet === true);
        const started = Date.now();
        try {
          const r = await runSyncPipeline(
            { db, store, transport, logger },
            {
              config,
              triggerSource: 'cli',
              nodeId: processHolder(),
              skipContent: !opts.content,
              onSyncProgress: (p) => reporter.sync(p),
              onContentProgress: (p) => reporter.content(p),
            },
          );
          reporter.stop();
          const summary = syncSummary(r, Date.now() - started);
          const partial = summary.outcome === 'partial';
          const rules = summary.rules;
          if (json) {
            printJson(io, summary);
          } else {
            const c = r.sync.counters;
            io.stdout(
              `synchronization ${partial ? 'completed with problems' : 'succeeded'} in ${formatDuration(Date.now() - started)} (run ${r.sync.syncRunId})\n` +
                `  categories listed     ${c.categoriesListed ?? 0}\n` +
                `  revisions listed      ${c.revisionsListed ?? 0}\n` +
                `  revisions fetched     ${c.revisionsFetched ?? 0}\n` +
                `  revisions imported    ${c.revisionsImported ?? 0}\n` +
                `  revisions quarantined ${c.revisionsQuarantined ?? 0}${(c.revisionsQuarantined ?? 0) > 0 ? '  (see: patchbay catalog quarantine)' : ''}\n` +
                `  catalog generation    ${r.sync.generationId ?? '-'}${r.sync.generationChanged ? ' (new)' : ' (unchanged)'}${r.sync.note !== null ? `: ${r.sync.note}` : ''}\n` +
                (r.rulesError
                  ? `  automatic approvals   failed: ${r.rulesError.code}: ${r.rulesError.message}\n`
                  : `  automatic approvals   ${rules.approvals} approvals, ${rules.declined} declined, ${rules.revoked} revoked\n`) +
                (r.supersededError
                  ? `  superseded declines   failed: ${r.supersededError.code}: ${r.supersededError.message}\n`
                  : r.superseded
                    ? `  superseded declines   ${r.superseded.declined.length} declined, ${r.superseded.kept.length} kept (see: patchbay decline --superseded --dry-run)\n`
                    : ''),
            );
            if (r.content)
              io.stdout(
                `  content (${config.content.mode})    ${r.content.filesDownloaded} files, ${formatBytes(r.content.bytesDownloaded)} downloaded` +
                  `${r.content.filesFailed > 0 ? `, ${r.content.filesFailed} failed (see: patchbay content status)` : ''}\n`,
              );
            else if (r.contentError)
              io.stdout(
                `  content               failed: ${r.contentError.code}: ${r.contentError.message}\n`,
              );
            else
              io.stdout(
                `  content               ${config.content.mode === 'none' ? 'mode none: not downloaded' : 'skipped'}\n`,
              );
          }
          setExitCode(partial ? exitSyncPartial : 0);
        } finally {
          reporter.stop();
          await transport.close();
        }
      });
    });

  sync
    .command('history')
    .description('every synchronization and content run with its counters and typed error')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'most recent runs to show (default 50)')
    .action(async (opts: { limit?: string }, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ db, json }) => {
        const runs = await createRepositories(db).syncRuns.list(parseLimit(opts.limit, 50));
        if (json) return printJson(io, runs);
        if (runs.length === 0) return io.stdout('no synchronization has run yet: run `patchbay sync`\n');
        io.stdout(
          formatTable(
            [
              'run',
              'kind',
              'trigger',
              'started',
              'duration',
              'outcome',
              'generation',
              'counters',
              'error / note',
            ],
            runs.map((r: SyncRunRecord) => [
              r.syncRunId,
              r.kind,
              r.triggerSource,
              formatTime(r.startedAt),
              formatDuration(r.finishedAt === null ? null : r.finishedAt - r.startedAt),
              r.outcome,
              r.generationId ?? '-',
              countersText(r.counters),
              [r.error ? `${r.error.code}: ${r.error.message}` : '', r.note ?? '']
                .filter((x) => x !== '')
                .join('; ') || '-',
            ]),
          ),
        );
      });
    });

  sync
    .command('status')
    .description('last synchronization, the stale-sync warning and the next scheduled runs')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ config, db, json }) => {
        const { lastGoodAgeMs, ...status } = await syncStatus(db, config);
        const lease = await createRepositories(db).jobLeases.get('sync');
        const stale = {
          lastGoodAt: status.lastGoodSyncAt ?? undefined,
          ageMs: lastGoodAgeMs ?? undefined,
          pin: status.pinned ?? undefined,
          stale: status.stale,
        };
        const firstText = status.schedule.firstSyncTime;
        const next = { slotAt: status.schedule.nextSlotAt };
        if (json) return printJson(io, status);
        const l = status.lastRun;
        io.stdout(
          `upstream            ${status.upstream}\n` +
            `last run            ${l ? `${l.syncRunId} ${l.kind} ${l.outcome} at ${formatTime(l.startedAt)}${l.error ? ` (${l.error.code})` : ''}` : 'never'}\n` +
            `last good sync      ${formatTime(stale.lastGoodAt)}${stale.ageMs !== undefined ? ` (${formatDuration(stale.ageMs)} ago)` : ''}\n` +
            `catalog pinned      ${stale.pin ? `to generation ${stale.pin.generationId} since ${formatTime(stale.pin.pinnedAt)}: synchronizations run but are not activated (patchbay catalog unpin)` : 'no'}\n` +
            `running now         ${lease !== undefined && status.running ? describeHolder(lease) : 'no'}\n` +
            `schedule            ${config.sync.syncsPerDay === 0 ? 'manual only (sync.syncs_per_day = 0)' : `${config.sync.syncsPerDay}/day from ${firstText} (+ up to ${config.sync.jitterMinutes} min jitter); next slot ${formatTime(next?.slotAt)}`}\n`,
        );
        if (stale.stale)
          io.stdout(
            `WARNING: the last good synchronization is ${stale.lastGoodAt === undefined ? 'missing' : `older than ${config.sync.staleAfterHours} h`}; clients are still served from the current catalog\n`,
          );
      });
    });
}
