/**
 * `patchbay approve|unapprove|decline|undecline`: by KB number or update id (arguments) or by a filter
 * (options), with `--group`, `--deadline` and `--dry-run`. Same services (and checks) as the REST API.
 */
import type { Command } from 'commander';
import { renderRolloutStart } from './rings-commands.js';
import { type AdminServices } from '../admin/index.js';
import {
  parseIsoTime,
  type ApprovalPlan,
  type DeclineChange,
  type SupersededDeclinePlan,
  type UpdateSelection,
} from '../fleet/index.js';
import { AppError } from '../errors.js';
import type { CliIo } from './cli-io.js';
import {
  collect,
  emit,
  formatTime,
  parseIntOption,
  renderTable,
  withAdmin,
  type JsonOption,
} from './admin-cli-support.js';
import { filterOptions, hasFilter, toFilter, type FilterOptions } from './updates-commands.js';

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function selectionOf(
  services: AdminServices,
  args: readonly string[],
  opts: FilterOptions,
): Promise<UpdateSelection> {
  const filtered = hasFilter(opts);
  if (args.length > 0 && filtered)
    throw new AppError('PB_ERR_USAGE', 'name updates as arguments or with filter options, not both');
  if (args.length === 0 && !filtered)
    throw new AppError(
      'PB_ERR_USAGE',
      'name the updates: KB numbers or update ids, or filter options (--classification, --text, ...)',
    );
  if (filtered) return { filter: await toFilter(services, opts) };
  const ids = args.filter((a) => guid.test(a));
  if (ids.length === args.length) return { updateIds: ids };
  if (ids.length === 0) return { kbs: [...args] };
  throw new AppError('PB_ERR_USAGE', 'name updates either by KB number or by update id in one command');
}

function renderPlan(plan: ApprovalPlan): string {
  const head = plan.dryRun ? 'Dry run: nothing was changed.\n' : '';
  const rows = plan.changes.map((c) => [
    c.kbArticleId ? `KB${c.kbArticleId}` : c.updateId,
    c.groupName,
    c.previous
      ? `${c.previous.action}${c.previous.deadlineAt ? ` by ${formatTime(c.previous.deadlineAt)}` : ''}`
      : '-',
    c.action === null ? '(inherit)' : `${c.action}${c.deadlineAt ? ` by ${formatTime(c.deadlineAt)}` : ''}`,
    c.changed ? (plan.dryRun ? 'would change' : 'changed') : 'unchanged',
    c.title,
  ]);
  const skipped = (plan.skipped ?? [])
    .map((s) => `skipped ${s.updateId}: ${s.code}: ${s.message}\n`)
    .join('');
  return head + renderTable(['UPDATE', 'GROUP', 'BEFORE', 'AFTER', 'RESULT', 'TITLE'], rows) + skipped;
}

function renderDeclines(result: { dryRun: boolean; changes: DeclineChange[] }, verb: string): string {
  const head = result.dryRun ? 'Dry run: nothing was changed.\n' : '';
  return (
    head +
    renderTable(
      ['UPDATE', 'RESULT', 'TITLE'],
      result.changes.map((c) => [
        c.kbArticleId ? `KB${c.kbArticleId}` : c.updateId,
        c.changed
          ? `${result.dryRun ? 'would be ' : ''}${verb}${c.removedApprovals > 0 ? ` (${c.removedApprovals} approvals removed)` : ''}`
          : 'unchanged',
        c.title,
      ]),
    )
  );
}

function renderSuperseded(p: SupersededDeclinePlan): string {
  const head = p.dryRun ? 'Dry run: nothing was changed.\n' : '';
  const label = (c: { kbArticleId: string | null; updateId: string }) =>
    c.kbArticleId ? `KB${c.kbArticleId}` : c.updateId;
  const verb = p.dryRun ? 'would be declined' : 'declined';
  const rows = [
    ...p.declined.map((c) => [label(c), verb, c.replacedBy.join(', '), c.title]),
    ...p.kept.map((c) => [label(c), `kept: ${c.keep!.message}`, '', c.title]),
  ];
  return (
    head +
    `${p.declined.length} superseded update(s) ${verb}, ${p.kept.length} kept (superseded for at least ${p.minDays} days, see docs/administration.md)\n` +
    (rows.length > 0 ? renderTable(['UPDATE', 'RESULT', 'REPLACED BY', 'TITLE'], rows) : '')
  );
}

type Common = FilterOptions & JsonOption & { dryRun?: boolean };

export function registerApprovalCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const withSelection = (cmd: Command) =>
    filterOptions(cmd.argument('[updates...]', 'KB numbers or update ids'))
      .option('--dry-run', 'list what would change, change nothing')
      .option('--json', 'print JSON');

  withSelection(program.command('approve').description('approve updates for groups (install by default)'))
    .option('--group <group>', 'target group id, name or path (repeatable)', collect)
    .option('--action <action>', 'install, uninstall or not_approved', 'install')
    .option('--deadline <time>', 'install-by time, ISO 8601 with a zone (e.g. 2026-11-20T18:00:00Z)')
    .option(
      '--rings <plan>',
      'ringed install approval instead of --group: "all" or rings in order, each with an optional deadline offset (pilot+2d,broad+7d); see docs/rings.md',
    )
    .action(
      async (
        args: string[],
        opts: Common & { group?: string[]; action: string; deadline?: string; rings?: string },
        cmd: Command,
      ) =>
        withAdmin(cmd, io, async (s, actor) => {
          if (opts.rings !== undefined) {
            if (opts.group !== undefined || opts.deadline !== undefined || opts.action !== 'install')
              throw new AppError(
                'PB_ERR_USAGE',
                '--rings takes the groups and deadlines from the rings plan: leave out --group, --deadline and --action',
              );
            const r = await s.rollouts.start(
              { selection: await selectionOf(s, args, opts), plan: opts.rings, dryRun: opts.dryRun === true },
              actor,
            );
            emit(io, opts, r, () => renderRolloutStart(r));
            return;
          }
          if (opts.group === undefined)
            throw new AppError('PB_ERR_USAGE', 'name the target with --group <group> or --rings <plan>');
          if (!['install', 'uninstall', 'not_approved'].includes(opts.action))
            throw new AppError(
              'PB_ERR_USAGE',
              `--action must be install, uninstall or not_approved, got ${JSON.stringify(opts.action)}`,
            );
          const plan = await s.approvals.approve(
            {
              selection: await selectionOf(s, args, opts),
              groups: opts.group,
              action: opts.action as 'install' | 'uninstall' | 'not_approved',
              ...(opts.deadline !== undefined
                ? { deadlineAt: parseIsoTime(opts.deadline, '--deadline') }
                : {}),
              dryRun: opts.dryRun === true,
            },
            actor,
          );
          emit(io, opts, plan, () => renderPlan(plan));
        }),
    );

  withSelection(
    program.command('unapprove').description('remove explicit approvals (the groups inherit again)'),
  )
    .requiredOption('--group <group>', 'group id, name or path (repeatable)', collect)
    .action(async (args: string[], opts: Common & { group: string[] }, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const plan = await s.approvals.unapprove(
          { selection: await selectionOf(s, args, opts), groups: opts.group, dryRun: opts.dryRun === true },
          actor,
        );
        emit(io, opts, plan, () => renderPlan(plan));
      }),
    );

  withSelection(
    program.command('decline').description('decline updates (hidden from every client; approvals removed)'),
  )
    .option('--reason <text>', 'why (kept in the audit log)')
    .option(
      '--min-days <n>',
      'with --superseded: superseded for at least this many days (default: maintenance.decline_superseded_after_days)',
    )
    .action(async (args: string[], opts: Common & { reason?: string; minDays?: string }, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        if (opts.superseded === true) {
          // Here --superseded is the safe rule, never a bare filter: "decline every superseded update" would
          // take updates computers still need away from them.
          const { superseded: _s, dryRun: _d, json: _j, minDays: _m, ...rest } = opts;
          if (args.length > 0 || hasFilter(rest) || opts.reason !== undefined)
            throw new AppError(
              'PB_ERR_USAGE',
              'decline --superseded applies the safe rule to the whole catalog: it takes no updates, filters or --reason (only --min-days, --dry-run, --json)',
            );
          const minDays = parseIntOption(opts.minDays, '--min-days', 0, 3650);
          const p = await s.supersededDeclines.run(
            { dryRun: opts.dryRun === true, ...(minDays !== undefined ? { minDays } : {}) },
            actor,
          );
          emit(io, opts, p, () => renderSuperseded(p));
          return;
        }
        if (opts.minDays !== undefined)
          throw new AppError('PB_ERR_USAGE', '--min-days goes with --superseded');
        const r = await s.approvals.decline(
          {
            selection: await selectionOf(s, args, opts),
            ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
            dryRun: opts.dryRun === true,
          },
          actor,
        );
        emit(io, opts, r, () => renderDeclines(r, 'declined'));
      }),
    );

  withSelection(program.command('undecline').description('un-decline updates')).action(
    async (args: string[], opts: Common, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const r = await s.approvals.undecline(
          { selection: await selectionOf(s, args, opts), dryRun: opts.dryRun === true },
          actor,
        );
        emit(io, opts, r, () => renderDeclines(r, 'undeclined'));
      }),
  );
}
