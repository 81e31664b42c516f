/** `patchbay groups list|create|delete|move|add-computer|remove-computer|set-mode`. */
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import type { CliIo } from './cli-io.js';
import {
  emit,
  nextPageHint,
  pageOptions,
  pageRequest,
  renderTable,
  withAdmin,
  type JsonOption,
} from './admin-cli-support.js';

export function registerGroupsCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const groups = program.command('groups').description('computer groups, memberships and the targeting mode');

  pageOptions(
    groups.command('list').description('list groups by path').option('--text <text>', 'name contains'),
  ).action(async (opts: JsonOption & { text?: string; limit?: string; cursor?: string }, cmd: Command) =>
    withAdmin(cmd, io, async (s) => {
      const page = await s.groups.list(opts.text !== undefined ? { text: opts.text } : {}, pageRequest(opts));
      const mode = await s.groups.getTargetingMode();
      emit(
        io,
        opts,
        { ...page, targetingMode: mode },
        () =>
          `Targeting: ${mode}-side\n` +
          renderTable(
            ['GROUP ID', 'COMPUTERS', 'PATH'],
            page.items.map((g) => [g.groupId, g.memberCount, g.path]),
          ) +
          nextPageHint(page.nextCursor),
      );
    }),
  );

  groups
    .command('create')
    .description('create a group (under All Computers unless --parent)')
    .argument('<name>', 'group name (unique)')
    .option('--parent <group>', 'parent group id, name or path')
    .option('--description <text>', 'description')
    .option('--json', 'print JSON')
    .action(
      async (name: string, opts: JsonOption & { parent?: string; description?: string }, cmd: Command) =>
        withAdmin(cmd, io, async (s, actor) => {
          const g = await s.groups.create(
            {
              name,
              ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
              ...(opts.description !== undefined ? { description: opts.description } : {}),
            },
            actor,
          );
          emit(io, opts, g, () => `created ${g.path} (${g.groupId})\n`);
        }),
    );

  groups
    .command('delete')
    .description('delete a group without child groups (its computers left without a group go to Unassigned)')
    .argument('<group>', 'group id, name or path')
    .option('--json', 'print JSON')
    .action(async (group: string, opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const g = await s.groups.delete(group, actor);
        emit(io, opts, g, () => `deleted ${g.path}\n`);
      }),
    );

  groups
    .command('move')
    .description('move a group under another parent')
    .argument('<group>', 'group id, name or path')
    .requiredOption('--to <parent>', 'new parent group id, name or path')
    .option('--json', 'print JSON')
    .action(async (group: string, opts: JsonOption & { to: string }, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const g = await s.groups.move(group, opts.to, actor);
        emit(io, opts, g, () => `moved to ${g.path}\n`);
      }),
    );

  for (const [name, add] of [
    ['add-computer', true],
    ['remove-computer', false],
  ] as const)
    groups
      .command(name)
      .description(add ? 'add a computer to a group' : 'remove a computer from a group')
      .argument('<group>', 'group id, name or path')
      .argument('<computer>', 'computer id (SusClientId)')
      .option('--json', 'print JSON')
      .action(async (group: string, computer: string, opts: JsonOption, cmd: Command) =>
        withAdmin(cmd, io, async (s, actor) => {
          const ids = add
            ? await s.groups.addComputer(group, computer, actor)
            : await s.groups.removeComputer(group, computer, actor);
          emit(
            io,
            opts,
            { computerId: computer.toLowerCase(), groupIds: ids },
            () => `${computer} is now in ${ids.join(', ')}\n`,
          );
        }),
      );

  groups
    .command('set-mode')
    .description('server-side targeting (admins assign groups) or client-side (clients name their groups)')
    .argument('<mode>', 'server or client')
    .option('--json', 'print JSON')
    .action(async (mode: string, opts: JsonOption, cmd: Command) => {
      if (mode !== 'server' && mode !== 'client')
        throw new AppError('PB_ERR_USAGE', `mode must be server or client, got ${JSON.stringify(mode)}`);
      await withAdmin(cmd, io, async (s, actor) => {
        const r = await s.groups.setTargetingMode(mode, actor);
        emit(
          io,
          opts,
          r,
          () =>
            `targeting mode: ${r.mode}-side${r.droppedMemberships > 0 ? ` (${r.droppedMemberships} client-side memberships dropped)` : ''}\n`,
        );
      });
    });
}
