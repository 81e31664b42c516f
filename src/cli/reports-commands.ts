/** `patchbay reports updates|computers|compliance|sync`: the reports service with table, CSV or JSON output. */
import type { Command } from 'commander';
import {
  createReportsService,
  formatReport,
  parseReportFormat,
  type ApprovalStateFilter,
  type ReportsService,
  type ReportTable,
} from '../reports/index.js';
import { AppError } from '../errors.js';
import { createRepositories } from '../storage/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { loadCliConfigOrThrow } from './cli-config.js';
import { openCliDatabase } from './cli-database.js';

interface FormatOptions {
  format: string;
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,7}$/.test(value))
    throw new AppError('PB_ERR_USAGE', `--limit must be a positive integer, got ${value}`);
  return Number(value);
}

export function registerReportsCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const reports = program
    .command('reports')
    .description('update status, computer status, compliance and synchronization reports');

  /** Opens the configured database (schema brought up to date), runs one report, prints it. */
  const run = async (
    cmd: Command,
    opts: FormatOptions,
    make: (s: ReportsService) => Promise<ReportTable>,
  ) => {
    const format = parseReportFormat(opts.format);
    const config = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
    const handle = await openCliDatabase(config);
    try {
      io.stdout(
        formatReport(
          await make(
            createReportsService(createRepositories(handle), {
              contentMode: config.content.mode,
              express: config.content.express,
            }),
          ),
          format,
        ),
      );
    } finally {
      await handle.close();
    }
  };
  const formatOption = ['--format <format>', 'output: table, csv or json', 'table'] as const;

  reports
    .command('updates')
    .description('per update: installed, needed, failed, not applicable, no status')
    .option('--group <group>', 'count only computers of this group (id or name) and its subgroups')
    .option('--classification <classification>', 'classification id or title, e.g. "Security Updates"')
    .option('--product <product>', 'product id or title, e.g. "Windows 11"')
    .option('--severity <severity>', 'MSRC severity: Critical, Important, Moderate, Low or Unspecified')
    .option('--approval <state>', 'any, any-except-declined (default), approved, unapproved, declined')
    .option('--text <text>', 'text in the title, or a KB number')
    .option('--limit <n>', 'at most this many rows (default 10000)')
    .option(...formatOption)
    .action(
      async (
        opts: FormatOptions & {
          group?: string;
          classification?: string;
          product?: string;
          severity?: string;
          approval?: string;
          text?: string;
          limit?: string;
        },
        cmd: Command,
      ) =>
        run(cmd, opts, (s) =>
          s.updateStatus({
            group: opts.group,
            classification: opts.classification,
            product: opts.product,
            severity: opts.severity,
            approval: opts.approval as ApprovalStateFilter | undefined,
            text: opts.text,
            limit: parseLimit(opts.limit),
          }),
        ),
    );

  reports
    .command('computers')
    .description('per computer: update counts by state, last sync and last report')
    .option('--group <group>', 'only computers of this group (id or name) and its subgroups')
    .option('--limit <n>', 'at most this many rows (default 10000)')
    .option(...formatOption)
    .action(async (opts: FormatOptions & { group?: string; limit?: string }, cmd: Command) =>
      run(cmd, opts, (s) => s.computerStatus({ group: opts.group, limit: parseLimit(opts.limit) })),
    );

  reports
    .command('compliance')
    .description('compliance per MSRC severity (default) or per computer group (--by group)')
    .option('--by <dimension>', 'severity or group', 'severity')
    .option('--group <group>', 'per severity: only computers of this group and its subgroups')
    .option(...formatOption)
    .action(async (opts: FormatOptions & { by: string; group?: string }, cmd: Command) => {
      if (opts.by !== 'severity' && opts.by !== 'group')
        throw new AppError('PB_ERR_USAGE', `--by must be severity or group, got ${opts.by}`);
      if (opts.by === 'group' && opts.group !== undefined)
        throw new AppError('PB_ERR_USAGE', '--group applies to --by severity only');
      await run(cmd, opts, (s) =>
        opts.by === 'group' ? s.complianceByGroup() : s.complianceBySeverity({ group: opts.group }),
      );
    });

  reports
    .command('sync')
    .description('synchronization runs, newest first')
    .option('--limit <n>', 'at most this many runs (default 50)')
    .option(...formatOption)
    .action(async (opts: FormatOptions & { limit?: string }, cmd: Command) =>
      run(cmd, opts, (s) => s.syncResults({ limit: parseLimit(opts.limit) })),
    );
}
