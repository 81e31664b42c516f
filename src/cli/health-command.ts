/**
 * `patchbay health` and `patchbay notify test` (docs/operations.md). Health exits with the monitoring-plugin
 * codes (0 ok, 1 warning, 2 critical, 3 unknown: the checks could not run, e.g. an unreadable configuration),
 * never with the sysexits codes of other commands, so a monitoring system can run it as it is.
 */
import type { Command } from 'commander';
import { databaseOptions } from '../main.js';
import { notifierFromConfig, sampleNotifications, serverName } from '../notify/index.js';
import { createLogger } from '../observability/index.js';
import { healthExitCodes, runHealthChecks, type HealthReport } from '../operations/index.js';
import { openDatabase, type DbHandle } from '../storage/index.js';
import { loadCliConfigOrThrow } from './cli-config.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { printJson } from './sync-cli-support.js';
import pino from 'pino';

function formatHealth(r: HealthReport): string {
  const lines = r.checks.map((c) => `${c.status.toUpperCase().padEnd(8)} ${c.name}: ${c.message}`);
  return `Patchbay health: ${r.status.toUpperCase()}\n${lines.join('\n')}\n`;
}

export function registerHealthCommands(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('health')
    .description('health checks for monitoring: exit 0 ok, 1 warning, 2 critical, 3 unknown')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { json?: boolean }>();
      let report: HealthReport;
      try {
        const config = await loadCliConfigOrThrow(opts, io);
        let db: DbHandle | undefined;
        let openError: string | undefined;
        try {
          // Opened as it is: health never creates or migrates a database (it reports what it finds).
          db = openDatabase(databaseOptions(config));
        } catch (e) {
          openError = (e as Error).message;
        }
        try {
          report = await runHealthChecks({ config, db, ...(openError ? { openError } : {}) });
        } finally {
          await db?.close().catch(() => undefined);
        }
      } catch (e) {
        const message = (e as Error).message;
        if (o.json === true) printJson(io, { status: 'unknown', checks: [], error: message });
        else io.stderr(`Patchbay health: UNKNOWN\n${message}\n`);
        setExitCode(healthExitCodes.unknown);
        return;
      }
      if (o.json === true) printJson(io, report);
      else io.stdout(formatHealth(report));
      setExitCode(healthExitCodes[report.status]);
    });

  const notify = program.command('notify').description('notifications (e-mail, webhook)');
  notify
    .command('test')
    .description('send one notification of each event to every configured channel and report per channel')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const config = await loadCliConfigOrThrow(opts, io);
      const logger = createLogger({
        level: opts.debug === true ? config.log.level : 'silent',
        format: config.log.format,
        destination: pino.destination({ dest: 2, sync: true }),
        base: { service: 'patchbay-cli' },
      });
      // A test reports quickly: few retries with short pauses.
      const notifier = await notifierFromConfig(config, logger, { backoffMs: 200 });
      try {
        if (!notifier.enabled) {
          io.stderr(
            'no notification channel is configured: set [notify_smtp] host or [notify_webhook] url\n',
          );
          setExitCode(78);
          return;
        }
        const results = [];
        for (const n of sampleNotifications(serverName(config))) {
          for (const r of await notifier.deliverNow(n)) results.push({ event: n.event, ...r });
        }
        const failed = results.filter((r) => !r.ok);
        if (o.json === true) printJson(io, { ok: failed.length === 0, results });
        else
          for (const ch of notifier.channels) {
            const mine = results.filter((r) => r.channel === ch.name);
            const bad = mine.filter((r) => !r.ok);
            io.stdout(
              bad.length === 0
                ? `${ch.name} ${ch.target}: OK, ${mine.length} notification(s) delivered\n`
                : `${ch.name} ${ch.target}: FAILED, ${bad.length} of ${mine.length} not delivered: ${bad[0]!.error ?? ''}\n`,
            );
          }
        setExitCode(failed.length === 0 ? 0 : 69);
      } finally {
        await notifier.close();
      }
    });
}
