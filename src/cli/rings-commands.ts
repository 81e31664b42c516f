/**
 * `patchbay rings list|create|set|delete|status` and `patchbay rollouts list|history|resume|skip|stop`
 * (docs/rings.md). Same services, checks and audit rows as the REST API.
 */
import type { Command } from 'commander';
import type { RingFields, RolloutStartResult, RolloutStatus } from '../fleet/index.js';
import { AppError } from '../errors.js';
import type { CliIo } from './cli-io.js';
import { collect, emit, formatTime, renderTable, withAdmin, type JsonOption } from './admin-cli-support.js';

interface RingOptions extends JsonOption {
  name?: string;
  group?: string[];
  soak?: string;
  minReported?: string;
  maxFailurePercent?: string;
  maxFaultPercent?: string;
  maxUninstalls?: string;
  position?: string;
  description?: string;
}

function withRingOptions(cmd: Command): Command {
  return cmd
    .option(
      '--group <group>',
      'a group of the ring, id, name or path (repeatable; set replaces the list)',
      collect,
    )
    .option('--soak <duration>', 'time in the ring before promotion, e.g. 12h, 2d, 1d12h (default 1d)')
    .option('--min-reported <n>', 'computers that must report an install outcome (default 1)')
    .option('--max-failure-percent <p>', 'failed installs among outcomes, at most (default 5)')
    .option(
      '--max-fault-percent <p>',
      'computers failing detection or no longer scanning, at most (default 10)',
    )
    .option('--max-uninstalls <n>', 'uninstall events, at most (default 0)')
    .option('--position <n>', 'place in the order, 0 = first (default: last)')
    .option('--description <text>', 'description')
    .option('--json', 'print JSON');
}

function number(v: string | undefined, option: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n))
    throw new AppError('PB_ERR_USAGE', `${option} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

function ringFields(o: RingOptions): RingFields {
  const f: Record<string, unknown> = {};
  if (o.name !== undefined) f.name = o.name;
  if (o.group !== undefined) f.groups = o.group;
  if (o.soak !== undefined) f.soak = o.soak;
  if (o.description !== undefined) f.description = o.description;
  const nums = {
    minReported: number(o.minReported, '--min-reported'),
    maxFailurePercent: number(o.maxFailurePercent, '--max-failure-percent'),
    maxFaultPercent: number(o.maxFaultPercent, '--max-fault-percent'),
    maxUninstalls: number(o.maxUninstalls, '--max-uninstalls'),
    position: number(o.position, '--position'),
  };
  for (const [k, v] of Object.entries(nums)) if (v !== undefined) f[k] = v;
  return f;
}

function rolloutId(text: string): number {
  if (!/^\d{1,9}$/.test(text.trim()))
    throw new AppError(
      'PB_ERR_USAGE',
      `a rollout id is a number (patchbay rings status), got ${JSON.stringify(text)}`,
    );
  return Number(text);
}

const pct = (v: number) => `${v}%`;

export function renderRolloutStatus(list: readonly RolloutStatus[]): string {
  if (list.length === 0) return 'no running or paused rollout\n';
  return list
    .map((r) => {
      const head = `rollout ${r.rolloutId}: ${r.kbArticleId ? `KB${r.kbArticleId} ` : ''}${r.title ?? r.updateId}\n`;
      const where = `  ${r.state} in ring ${r.ring} (${r.position + 1} of ${r.stages}) since ${formatTime(r.since)}\n`;
      const next =
        r.nextPromotionAt !== null
          ? `  next promotion: ${formatTime(r.nextPromotionAt)} if the gate holds\n`
          : '';
      const held = r.holdReason ? `  held: ${r.holdReason}\n` : '';
      const g = r.gate;
      const gate =
        g === null
          ? ''
          : renderTable(
              ['GATE', 'NOW', 'THRESHOLD'],
              [
                ['reported', g.figures.reported, `>= ${g.thresholds.minReported}`],
                [
                  'failures',
                  `${pct(g.figures.failurePercent)} (${g.figures.failed})`,
                  `<= ${pct(g.thresholds.maxFailurePercent)}`,
                ],
                [
                  'faults/stopped',
                  `${pct(g.figures.faultPercent)}`,
                  `<= ${pct(g.thresholds.maxFaultPercent)}`,
                ],
                ['uninstalls', g.figures.uninstalls, `<= ${g.thresholds.maxUninstalls}`],
              ],
            )
              .split('\n')
              .map((l) => (l ? `  ${l}` : l))
              .join('\n');
      const ev = r.evidence as {
        computers?: { computerId: string; dnsName: string | null; hresult: number | null }[];
        codes?: { hresult: number | null; computers: number }[];
      } | null;
      const evidence =
        r.state === 'paused' && ev?.computers !== undefined
          ? `  failed: ${ev.codes?.map((c) => `${hex(c.hresult)} x${c.computers}`).join(', ') ?? ''}\n` +
            ev.computers.map((c) => `    ${c.dnsName ?? c.computerId} ${hex(c.hresult)}\n`).join('')
          : '';
      return head + where + next + held + gate + evidence;
    })
    .join('\n');
}

const hex = (h: number | null) => (h === null ? '-' : `0x${(h >>> 0).toString(16).padStart(8, '0')}`);

export function renderRolloutStart(r: RolloutStartResult): string {
  const schedule = renderTable(
    ['STAGE', 'RING', 'COMPUTERS', 'EARLIEST START', 'SOAK', 'DEADLINE', 'GATE'],
    r.schedule.map((s) => [
      s.position,
      s.ring,
      s.computers,
      formatTime(s.earliestStartAt),
      s.soak,
      s.deadlineOffset === null ? '' : `+${s.deadlineOffset}`,
      `>=${s.gate.minReported} reports, <=${s.gate.maxFailurePercent}% failed, <=${s.gate.maxFaultPercent}% faults, <=${s.gate.maxUninstalls} uninstalls`,
    ]),
  );
  const updates = r.rollouts
    .map(
      (u) =>
        `  ${u.rolloutId === null ? '-' : `rollout ${u.rolloutId}`}: ${u.kbArticleId ? `KB${u.kbArticleId} ` : ''}${u.title ?? u.updateId}\n`,
    )
    .join('');
  const skipped = r.skipped.map((s) => `  skipped ${s.updateId}: ${s.message}\n`).join('');
  return (
    `${r.dryRun ? 'would start' : 'started'} ${r.rollouts.length} ringed approval(s)${r.dryRun ? ' (dry run)' : ''}\n` +
    updates +
    skipped +
    schedule
  );
}

export function registerRingsCommands(program: Command, io: CliIo): void {
  const rings = program
    .command('rings')
    .description('rollout rings: ordered groups with a soak time and a health gate');

  rings
    .command('list')
    .description('list the rings in order')
    .option('--json', 'print JSON')
    .action(async (opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s) => {
        const list = await s.rings.list();
        emit(io, opts, { items: list }, () =>
          renderTable(
            ['POS', 'RING', 'GROUPS', 'SOAK', 'MIN REPORTED', 'MAX FAILED', 'MAX FAULTS', 'MAX UNINSTALLS'],
            list.map((r) => [
              r.position,
              r.name,
              r.groups.map((g) => g.name).join(', '),
              r.soak,
              r.minReported,
              pct(r.maxFailurePercent),
              pct(r.maxFaultPercent),
              r.maxUninstalls,
            ]),
          ),
        );
      }),
    );

  withRingOptions(
    rings.command('create').description('create a ring').argument('<name>', 'ring name'),
  ).action(async (name: string, opts: RingOptions, cmd: Command) =>
    withAdmin(cmd, io, async (s, actor) => {
      const r = await s.rings.create({ ...ringFields(opts), name }, actor);
      emit(io, opts, r, () => `created ring ${r.name} at position ${r.position}\n`);
    }),
  );

  withRingOptions(
    rings
      .command('set')
      .description('change a ring')
      .argument('<ring>', 'ring name or id')
      .option('--name <name>', 'new name'),
  ).action(async (ring: string, opts: RingOptions, cmd: Command) =>
    withAdmin(cmd, io, async (s, actor) => {
      const r = await s.rings.set(ring, ringFields(opts), actor);
      emit(io, opts, r, () => `ring ${r.name} updated\n`);
    }),
  );

  rings
    .command('delete')
    .description('delete a ring (refused while a rollout uses it)')
    .argument('<ring>', 'ring name or id')
    .option('--json', 'print JSON')
    .action(async (ring: string, opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const r = await s.rings.delete(ring, actor);
        emit(io, opts, r, () => `deleted ring ${r.name}\n`);
      }),
    );

  rings
    .command('status')
    .description(
      'rollouts: the ring each is in, since when, the gate now, and the next promotion or why it is held',
    )
    .argument('[rollout]', 'one rollout id (default: every running or paused one)')
    .option('--all', 'also completed and stopped rollouts')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, opts: JsonOption & { all?: boolean }, cmd: Command) =>
      withAdmin(cmd, io, async (s) => {
        const list = await s.rollouts.status(
          id !== undefined
            ? { rolloutId: rolloutId(id) }
            : opts.all === true
              ? { states: ['running', 'paused', 'completed', 'stopped'] }
              : {},
        );
        emit(io, opts, { items: list }, () => renderRolloutStatus(list));
      }),
    );

  const rollouts = program
    .command('rollouts')
    .description('ringed approvals: history, and resume, skip or stop by hand');
  rollouts
    .command('history')
    .description('every stage change of a rollout')
    .argument('<rollout>', 'rollout id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s) => {
        const h = await s.rollouts.history(rolloutId(id));
        emit(io, opts, { items: h }, () =>
          renderTable(
            ['TIME', 'EVENT', 'STAGE', 'BY'],
            h.map((e) => [formatTime(e.at), e.event, e.position, e.actor]),
          ),
        );
      }),
    );
  for (const [name, what] of [
    ['resume', 'run a paused rollout again in its ring (a new soak; the failures seen so far are accepted)'],
    ['skip', 'move a rollout to its next ring now, whatever its gate says'],
    ['stop', 'end a rollout where it is (rings reached keep their approvals)'],
  ] as const)
    rollouts
      .command(name)
      .description(what)
      .argument('<rollout>', 'rollout id')
      .option('--json', 'print JSON')
      .action(async (id: string, opts: JsonOption, cmd: Command) =>
        withAdmin(cmd, io, async (s, actor) => {
          const r = await s.rollouts[name](rolloutId(id), actor);
          emit(io, opts, r, () => renderRolloutStatus([r]));
        }),
      );
}
