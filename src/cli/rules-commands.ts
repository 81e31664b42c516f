/** `patchbay rules list|create|delete|run|set`: automatic approval rules and their two switches. */
import type { Command } from 'commander';
import type { ApprovalRuleRecord } from '../storage/index.js';
import { formatDuration } from '../domain/index.js';
import { AppError } from '../errors.js';
import type { RuleRunResult } from '../fleet/index.js';
import type { CliIo } from './cli-io.js';
import {
  collect,
  emit,
  formatTime,
  nextPageHint,
  pageOptions,
  pageRequest,
  parseIntOption,
  parseOnOff,
  renderTable,
  withAdmin,
  type JsonOption,
} from './admin-cli-support.js';

function ruleId(v: string): number {
  return parseIntOption(v, 'rule id', 1, 2147483647)!;
}

function renderRules(rules: readonly ApprovalRuleRecord[]): string {
  return renderTable(
    ['ID', 'ENABLED', 'NAME', 'CLASSIFICATIONS', 'PRODUCTS', 'GROUPS', 'DEADLINE'],
    rules.map((r) => [
      r.ruleId,
      r.isEnabled ? 'yes' : 'no',
      r.name,
      r.criteria.classificationIds.join(', ') || 'any',
      r.criteria.productIds.join(', ') || 'any',
      r.ringsPlan === null ? r.groupIds.join(', ') : `rings ${ringsPlanText(r)}`,
      r.deadlineOffsetMs === null ? '' : `+${r.deadlineOffsetMs / 86_400_000}d`,
    ]),
  );
}

/** A ringed rule's plan as `--rings` takes it: ring[+deadline],... (the rings' current names). */
function ringsPlanText(r: ApprovalRuleRecord): string {
  return (r.ringsPlan ?? [])
    .map((s) => s.ringName + (s.deadlineOffsetMs === null ? '' : `+${formatDuration(s.deadlineOffsetMs)}`))
    .join(',');
}

function renderRun(r: RuleRunResult): string {
  const rollouts =
    r.rollouts.length === 0
      ? ''
      : `${r.rollouts.length} ringed approval(s) ${r.dryRun ? 'would be ' : ''}started\n` +
        renderTable(
          ['RULE', 'ROLLOUT', 'UPDATE', 'FIRST RING', 'TITLE'],
          r.rollouts.map((x) => [
            x.ruleId,
            x.rolloutId ?? '-',
            x.kbArticleId ? `KB${x.kbArticleId}` : x.updateId,
            x.ring,
            x.title,
          ]),
        );
  return (
    (r.dryRun ? 'Dry run: nothing was changed.\n' : '') +
    rollouts +
    `${r.approvals.length} approval(s) ${r.dryRun ? 'would be ' : ''}made\n` +
    (r.approvals.length > 0
      ? renderTable(
          ['RULE', 'UPDATE', 'GROUP', 'DEADLINE', 'TITLE'],
          r.approvals.map((a) => [
            a.ruleId,
            a.kbArticleId ? `KB${a.kbArticleId}` : a.updateId,
            a.groupName,
            formatTime(a.deadlineAt),
            a.title,
          ]),
        )
      : '')
  );
}

type RuleOpts = JsonOption & {
  name?: string;
  classification?: string[];
  product?: string[];
  group?: string[];
  deadlineDays?: string;
  deadline?: boolean;
  disabled?: boolean;
  /** `--rings <plan>`, or false for `--no-rings` (set). */
  rings?: string | false;
};

export function registerRulesCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const rules = program.command('rules').description('automatic approval rules');

  pageOptions(rules.command('list').description('list rules and the switches')).action(
    async (opts: JsonOption & { limit?: string; cursor?: string }, cmd: Command) =>
      withAdmin(cmd, io, async (s) => {
        const page = await s.rules.list(pageRequest(opts));
        const switches = await s.rules.getSwitches();
        emit(
          io,
          opts,
          { ...page, switches },
          () =>
            renderRules(page.items) +
            nextPageHint(page.nextCursor) +
            `approve new revisions of approved updates: ${switches.approveNewRevisionsOfApproved ? 'on' : 'off'}\n` +
            `decline expired updates: ${switches.declineExpired ? 'on' : 'off'}\n`,
        );
      }),
  );

  rules
    .command('create')
    .description('create a rule: approve for install updates of these classifications and/or products')
    .requiredOption('--name <name>', 'rule name')
    .option('--classification <name>', 'classification id or title (repeatable)', collect)
    .option('--product <name>', 'product id or title (repeatable)', collect)
    .option('--group <group>', 'target group (repeatable)', collect)
    .option('--deadline-days <n>', 'deadline this many days after the approval')
    .option(
      '--rings <plan>',
      'instead of --group: start a ringed approval in ring 0 per matched update, plan as for approve --rings (pilot+2d,broad+7d or all)',
    )
    .option('--disabled', 'create it disabled')
    .option('--json', 'print JSON')
    .action(async (opts: RuleOpts & { name: string }, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const deadlineDays = parseIntOption(opts.deadlineDays, '--deadline-days', 0, 365);
        if (opts.group === undefined && typeof opts.rings !== 'string')
          throw new AppError('PB_ERR_USAGE', 'name the target with --group <group> or --rings <plan>');
        const r = await s.rules.create(
          {
            name: opts.name,
            classifications: opts.classification ?? [],
            products: opts.product ?? [],
            ...(opts.group !== undefined ? { groups: opts.group } : {}),
            ...(typeof opts.rings === 'string' ? { rings: opts.rings } : {}),
            ...(deadlineDays !== undefined ? { deadlineDays } : {}),
            enabled: opts.disabled !== true,
          },
          actor,
        );
        emit(io, opts, r, () => `created rule ${r.ruleId}\n${renderRules([r])}`);
      }),
    );

  rules
    .command('delete')
    .description('delete a rule (approvals it made stay)')
    .argument('<rule>', 'rule id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const r = await s.rules.delete(ruleId(id), actor);
        emit(io, opts, r, () => `deleted rule ${r.ruleId} (${r.name})\n`);
      }),
    );

  rules
    .command('run')
    .description('run a rule against the catalog now')
    .argument('<rule>', 'rule id')
    .option('--dry-run', 'list what it would approve, change nothing')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: JsonOption & { dryRun?: boolean }, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const r = await s.rules.run(ruleId(id), { dryRun: opts.dryRun === true }, actor);
        emit(io, opts, r, () => renderRun(r));
      }),
    );

  rules
    .command('set')
    .description('change a rule (with an id) or the switches (without)')
    .argument('[rule]', 'rule id')
    .option('--name <name>', 'rename')
    .option('--classification <name>', 'replace the classifications (repeatable)', collect)
    .option('--product <name>', 'replace the products (repeatable)', collect)
    .option('--group <group>', 'replace the groups (repeatable)', collect)
    .option('--deadline-days <n>', 'deadline offset in days')
    .option('--no-deadline', 'no deadline')
    .option('--rings <plan>', 'start ringed approvals on this plan instead of approving for groups')
    .option('--no-rings', 'approve for groups again (give --group)')
    .option('--enable', 'enable the rule')
    .option('--disable', 'disable the rule')
    .option('--approve-new-revisions <on|off>', 'switch: new revisions of approved updates stay approved')
    .option('--decline-expired <on|off>', 'switch: decline updates that arrive expired')
    .option('--json', 'print JSON')
    .action(
      async (
        id: string | undefined,
        opts: RuleOpts & {
          enable?: boolean;
          disable?: boolean;
          approveNewRevisions?: string;
          declineExpired?: string;
        },
        cmd: Command,
      ) =>
        withAdmin(cmd, io, async (s, actor) => {
          if (id === undefined) {
            const approveNew = parseOnOff(opts.approveNewRevisions, '--approve-new-revisions');
            const declineExpired = parseOnOff(opts.declineExpired, '--decline-expired');
            if (approveNew === undefined && declineExpired === undefined)
              throw new AppError(
                'PB_ERR_USAGE',
                'give a rule id, or --approve-new-revisions / --decline-expired',
              );
            const sw = await s.rules.setSwitches(
              {
                ...(approveNew !== undefined ? { approveNewRevisionsOfApproved: approveNew } : {}),
                ...(declineExpired !== undefined ? { declineExpired } : {}),
              },
              actor,
            );
            emit(
              io,
              opts,
              sw,
              () =>
                `approve new revisions of approved updates: ${sw.approveNewRevisionsOfApproved ? 'on' : 'off'}\ndecline expired updates: ${sw.declineExpired ? 'on' : 'off'}\n`,
            );
            return;
          }
          if (opts.enable === true && opts.disable === true)
            throw new AppError('PB_ERR_USAGE', '--enable and --disable together');
          const deadlineDays =
            opts.deadline === false ? null : parseIntOption(opts.deadlineDays, '--deadline-days', 0, 365);
          const patch = {
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(opts.classification !== undefined ? { classifications: opts.classification } : {}),
            ...(opts.product !== undefined ? { products: opts.product } : {}),
            ...(opts.group !== undefined ? { groups: opts.group } : {}),
            ...(deadlineDays !== undefined ? { deadlineDays } : {}),
            ...(opts.rings !== undefined ? { rings: opts.rings === false ? null : opts.rings } : {}),
            ...(opts.enable === true ? { enabled: true } : opts.disable === true ? { enabled: false } : {}),
          };
          if (Object.keys(patch).length === 0) throw new AppError('PB_ERR_USAGE', 'nothing to change');
          const r = await s.rules.update(ruleId(id), patch, actor);
          emit(io, opts, r, () => renderRules([r]));
        }),
    );
}
