/** `patchbay downstreams list|show|remove`: the downstream servers that synchronize from this server. */
import type { Command } from 'commander';
import type { DownstreamView } from '../admin/index.js';
import type { CliIo } from './cli-io.js';
import { emit, formatTime, renderTable, withAdmin, type JsonOption } from './admin-cli-support.js';

function details(d: DownstreamView): string {
  return [
    `Server id:   ${d.serverId}`,
    `Name:        ${d.name}`,
    `Address:     ${d.address ?? ''}`,
    `Version:     ${d.userAgent ?? ''}`,
    `Protocol:    ${d.protocolVersion ?? ''}`,
    `First seen:  ${formatTime(d.firstSeenAt)}`,
    `Last auth:   ${formatTime(d.lastAuthAt)}`,
    `Last sync:   ${formatTime(d.lastSyncAt)} (${d.syncCalls} sync calls)`,
    `Computers:   ${d.computers}`,
    `Last rollup: ${formatTime(d.lastRollupAt)}`,
    ...(d.servers.length === 0
      ? []
      : [
          'Servers rolled up:',
          ...d.servers.map(
            (s) =>
              `  ${s.serverId}  ${s.name ?? ''}  parent ${s.parentServerId}${s.isReplica ? '  replica' : ''}` +
              `  last sync ${formatTime(s.lastSyncAt)}  computers ${s.summary?.['ComputerTargetCount'] ?? '?'}`,
          ),
        ]),
    '',
  ].join('\n');
}

export function registerDownstreamsCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const downstreams = program
    .command('downstreams')
    .description('downstream servers that synchronize from this server (the upstream role)');

  downstreams
    .command('list')
    .description('list the downstream servers')
    .option('--json', 'print JSON')
    .action(async (opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s) => {
        const page = await s.downstreams.list();
        emit(io, opts, page, () =>
          page.items.length === 0
            ? 'No downstream server has synchronized from this server.\n'
            : renderTable(
                [
                  'SERVER ID',
                  'NAME',
                  'ADDRESS',
                  'PROTOCOL',
                  'FIRST SEEN',
                  'LAST SYNC',
                  'LAST ROLLUP',
                  'COMPUTERS',
                ],
                page.items.map((d) => [
                  d.serverId,
                  d.name,
                  d.address,
                  d.protocolVersion,
                  formatTime(d.firstSeenAt),
                  formatTime(d.lastSyncAt),
                  formatTime(d.lastRollupAt),
                  d.computers,
                ]),
              ),
        );
      }),
    );

  downstreams
    .command('show')
    .description('one downstream server')
    .argument('<downstream>', 'server id or name')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s) => {
        const d = await s.downstreams.show(ref);
        emit(io, opts, d, () => details(d));
      }),
    );

  downstreams
    .command('remove')
    .description(
      'remove a downstream server from the registry (it reappears at its next sync unless refused)',
    )
    .argument('<downstream>', 'server id or name')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const d = await s.downstreams.remove(ref, actor);
        emit(io, opts, d, () => `Removed downstream server ${d.serverId} (${d.name}).\n`);
      }),
    );
}
