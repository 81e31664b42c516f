/**
 * `patchbay content status|verify|download`. Exit codes: 0 all good; 1 `verify` found corrupt or missing
 * objects (they are quarantined and queued again) or `download` left failed files; otherwise catalogue codes.
 */
import type { Command } from 'commander';
import { contentStatus, downloadAndAnnounce, verifyContent } from '../content-sync/index.js';
import { processHolder } from '../jobs/index.js';
import { openContentStore } from '../storage/index.js';
import { UpstreamTransport, transportOptionsFromConfig } from '../sync/index.js';
import type { CliIo } from './cli-io.js';
import { formatBytes, formatTable, printJson, withSyncCli } from './sync-cli-support.js';

export function registerContentCommands(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  const content = program
    .command('content')
    .description('downloaded update files: status, verification, download');

  content
    .command('status')
    .description('files and bytes per download state, and the latest failures')
    .option('--json', 'print JSON')
    .action(async (_o: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ config, db, json }) => {
        const s = await contentStatus(db);
        if (json) return printJson(io, { mode: config.content.mode, ...s });
        io.stdout(`content mode: ${config.content.mode}  directory: ${config.content.dir}\n\n`);
        io.stdout(
          formatTable(
            ['state', 'files', 'bytes'],
            [
              ...Object.entries(s.states).map(([k, v]) => [k, v.files, formatBytes(v.bytes)] as const),
              ['total', s.totalFiles, formatBytes(s.totalBytes)] as const,
            ],
          ),
        );
        if (s.recentFailures.length > 0)
          io.stdout(
            `\nlatest failures (retried automatically with a growing delay):\n${formatTable(
              ['sha1', 'name', 'attempts', 'error'],
              s.recentFailures.map((f) => [f.sha1, f.name, f.attempts, (f.error ?? '').slice(0, 120)]),
            )}`,
          );
      });
    });

  content
    .command('verify')
    .description(
      're-hash every stored file (SHA-1, SHA-256, size); corrupt or missing files are queued again',
    )
    .option('--json', 'print JSON')
    .action(async (_o: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ config, db, logger, json }) => {
        const store = await openContentStore(config);
        const r = await verifyContent({ db, store, logger });
        if (json) printJson(io, r);
        else {
          io.stdout(
            `checked ${r.checked} stored files: ${r.bad.length} corrupt, ${r.missing} missing, ${r.requeued} queued again` +
              `${r.adopted > 0 ? `, ${r.adopted} found in the store and marked verified` : ''}\n`,
          );
          for (const b of r.bad)
            io.stdout(
              b.reason === 'location'
                ? `  refused ${b.sha1}: its folder is a symbolic link out of the store (left alone; remove it)\n`
                : `  corrupt ${b.sha1} (${b.reason}): moved to the store's .quarantine\n`,
            );
          if (r.requeued > 0)
            io.stdout('run `patchbay content download` (or wait for the next sync) to fetch them again\n');
        }
        setExitCode(r.bad.length > 0 || r.missing > 0 ? 1 : 0);
      });
    });

  content
    .command('download')
    .description('download queued files now (content.mode decides which files are queued)')
    .option('--json', 'print JSON')
    .action(async (_o: unknown, cmd: Command) => {
      await withSyncCli(cmd, io, async ({ config, db, logger, json }) => {
        const store = await openContentStore(config);
        const transport = new UpstreamTransport(transportOptionsFromConfig(config, { logger, env: io.env }));
        try {
          const r = await downloadAndAnnounce(
            { db, store, transport, logger },
            {
              upstreamUrl: config.upstream.url,
              contentHosts: config.upstream.contentHosts,
              mode: config.content.mode,
              express: config.content.express,
              triggerSource: 'cli',
              // Host and pid: with the bare host name two downloads on one host were the same lease holder,
              // so the second renewed the first's lease and both ran.
              nodeId: processHolder(),
            },
          );
          if (json) printJson(io, r);
          else
            io.stdout(
              `${r.filesDownloaded} files downloaded (${formatBytes(r.bytesDownloaded)}, ${formatBytes(r.bytesResumed)} resumed), ` +
                `${r.filesAlreadyPresent} already stored, ${r.filesFailed} failed\n`,
            );
          setExitCode(r.filesFailed > 0 ? 1 : 0);
        } finally {
          await transport.close();
        }
      });
    });
}
