/** `patchbay computers list|show|move|remove|remove-stale`. */
import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import {
  collect,
  emit,
  formatTime,
  nextPageHint,
  pageOptions,
  pageRequest,
  parseIntOption,
  renderTable,
  withAdmin,
  type JsonOption,
} from './admin-cli-support.js';

export function registerComputersCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const computers = program
    .command('computers')
    .description('computer inventory, moves between groups, stale removal');

  pageOptions(
    computers
      .command('list')
      .description('list computers')
      .option('--text <text>', 'name contains, or a computer id')
      .option('--group <group>', 'members of this group')
      .option('--silent-days <n>', 'not seen for at least this many days'),
  ).action(
    async (
      opts: JsonOption & {
        text?: string;
        group?: string;
        silentDays?: string;
        limit?: string;
        cursor?: string;
      },
      cmd: Command,
    ) =>
      withAdmin(cmd, io, async (s) => {
        const silentDays = parseIntOption(opts.silentDays, '--silent-days', 1, 36500);
        const page = await s.computers.list(
          {
            ...(opts.text !== undefined ? { text: opts.text } : {}),
            ...(opts.group !== undefined ? { group: opts.group } : {}),
            ...(silentDays !== undefined ? { silentDays } : {}),
          },
          pageRequest(opts),
        );
        emit(
          io,
          opts,
          page,
          () =>
            renderTable(
              ['COMPUTER ID', 'NAME', 'OS', 'MAKE/MODEL', 'CLIENT', 'LAST SYNC', 'LAST REPORT'],
              page.items.map((c) => [
                c.computerId,
                c.name,
                c.os ?? c.osVersion,
                [c.make, c.model].filter(Boolean).join(' '),
                c.clientVersion,
                formatTime(c.lastSyncAt),
                formatTime(c.lastReportAt),
              ]),
            ) + nextPageHint(page.nextCursor),
        );
      }),
  );

  computers
    .command('show')
    .description('one computer: inventory, groups and effective approvals')
    .argument('<computer>', 'computer id')
    .option('--json', 'print JSON')
    .action(async (computer: string, opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s) => {
        const c = await s.computers.show(computer);
        emit(io, opts, c, () =>
          [
            `Computer:   ${c.computerId}`,
            `Name:       ${c.name ?? ''}`,
            `OS:         ${c.os ?? ''} ${c.osVersion ?? ''}`.trimEnd(),
            `Make/model: ${[c.make, c.model].filter(Boolean).join(' ')}`,
            `Client:     ${c.clientVersion ?? ''}`,
            `Last sync:  ${formatTime(c.lastSyncAt)}`,
            `Groups:     ${c.groups.map((g) => `${g.groupId} (${g.source})`).join(', ')}`,
            '',
            c.effectiveApprovals.length === 0
              ? 'No approvals apply.\n'
              : renderTable(
                  ['UPDATE', 'ACTION', 'DEADLINE', 'FROM GROUP'],
                  c.effectiveApprovals.map((a) => [
                    a.updateId,
                    a.action,
                    formatTime(a.deadlineAt),
                    a.sourceGroupId,
                  ]),
                ),
          ].join('\n'),
        );
      }),
    );

  computers
    .command('move')
    .description('move a computer: its admin-assigned groups become exactly --to')
    .argument('<computer>', 'computer id')
    .requiredOption('--to <group>', 'target group (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (computer: string, opts: JsonOption & { to: string[] }, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const ids = await s.computers.move(computer, opts.to, actor);
        emit(
          io,
          opts,
          { computerId: computer.toLowerCase(), groupIds: ids },
          () => `${computer} is now in ${ids.join(', ')}\n`,
        );
      }),
    );

  computers
    .command('remove')
    .description(
      'remove one computer (its status and memberships go too; it registers again on its next scan)',
    )
    .argument('<computer>', 'computer id or DNS name')
    .option('--dry-run', 'show which computer, remove nothing')
    .option('--json', 'print JSON')
    .action(async (computer: string, opts: JsonOption & { dryRun?: boolean }, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const r = await s.computers.remove(computer, { dryRun: opts.dryRun === true }, actor);
        const c = r.removed;
        emit(
          io,
          opts,
          r,
          () =>
            `${r.dryRun ? 'Dry run: nothing was removed.\n' : ''}${c.computerId} ${c.name ?? ''} ${r.dryRun ? 'would be ' : ''}removed (last sync ${formatTime(c.lastSyncAt)})\n`,
        );
      }),
    );

  computers
    .command('remove-stale')
    .description('remove computers that have not contacted the server for N days')
    .requiredOption('--days <n>', 'silent for at least this many days')
    .option('--dry-run', 'list them, remove nothing')
    .option('--json', 'print JSON')
    .action(async (opts: JsonOption & { days: string; dryRun?: boolean }, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const days = parseIntOption(opts.days, '--days', 1, 36500)!;
        const r = await s.computers.removeStale(days, { dryRun: opts.dryRun === true }, actor);
        emit(
          io,
          opts,
          r,
          () =>
            (r.dryRun ? 'Dry run: nothing was removed.\n' : '') +
            `${r.removed.length} computer(s) ${r.dryRun ? 'would be ' : ''}removed\n` +
            (r.removed.length > 0
              ? renderTable(
                  ['COMPUTER ID', 'NAME', 'LAST SYNC'],
                  r.removed.map((c) => [c.computerId, c.name, formatTime(c.lastSyncAt)]),
                )
              : ''),
        );
      }),
    );
}
