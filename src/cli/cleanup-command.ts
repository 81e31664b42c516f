/**
 * `patchbay cleanup [--dry-run] [--json] [--only <steps>]`: the server cleanup (docs/administration.md "Server
 * cleanup"), the same service as `POST /api/v1/cleanup` and the scheduled job. Exit 0 when it ran (or planned),
 * 75 when a synchronization, content download or another cleanup holds its lease, 65 for an unknown step.
 */
import type { Command } from 'commander';
import {
  cleanupSettingsFrom,
  cleanupSteps,
  createCleanupService,
  parseCleanupSteps,
  type CleanupReport,
  type CleanupStep,
} from '../maintenance/index.js';
import { openContentStore } from '../storage/index.js';
import { cliActor } from './admin-cli-support.js';
import type { CliIo } from './cli-io.js';
import { formatBytes, formatTable, printJson, withSyncCli } from './sync-cli-support.js';

/** Items listed per step in the text output (`--json` lists all). */
const shownPerStep = 20;

/**
 * Test hook for the kill -9 test (test/integration/maintenance): `PATCHBAY_TEST_CLEANUP_PAUSE=<step>` makes the
 * command print `cleanup paused at <step>` on stderr after that step's database transaction committed and
 * before its files are deleted, then wait until killed. Never set in production.
 */
function pauseHook(io: CliIo): ((step: CleanupStep) => Promise<void>) | undefined {
  const at = process.env.PATCHBAY_TEST_CLEANUP_PAUSE;
  if (at === undefined || at === '') return undefined;
  return async (step) => {
    if (step !== at) return;
    io.stderr(`cleanup paused at ${step}\n`);
    await new Promise<never>(() => setInterval(() => undefined, 60_000));
  };
}

export function registerCleanupCommand(program: Command, io: CliIo): void {
  program
    .command('cleanup')
    .description(
      'server cleanup: obsolete revisions, expired and superseded declines, unneeded files, silent computers, old events and generations, database maintenance',
    )
    .option('--dry-run', 'list everything it would remove, with sizes, and change nothing')
    .option('--only <steps>', `comma-separated steps, in cleanup order: ${cleanupSteps.join(', ')}`)
    .option('--json', 'print JSON (every item)')
    .action(async (opts: { dryRun?: boolean; only?: string }, cmd: Command) => {
      const only = parseCleanupSteps(opts.only);
      await withSyncCli(cmd, io, async ({ config, db, json }) => {
        const store = await openContentStore(config);
        try {
          const service = createCleanupService(db, store, cleanupSettingsFrom(config));
          const hook = pauseHook(io);
          const r = await service.run(
            { dryRun: opts.dryRun === true, only, ...(hook ? { pauseAt: hook } : {}) },
            cliActor(io),
          );
          if (json) return printJson(io, r);
          io.stdout(renderCleanup(r));
        } finally {
          await store.close();
        }
      });
    });
}

export function renderCleanup(r: CleanupReport): string {
  const verb = r.dryRun ? 'would remove' : 'removed';
  const out: string[] = [
    r.dryRun ? 'dry run: nothing was changed\n' : '',
    formatTable(
      ['step', 'rows', 'files', 'bytes', 'ms', 'note'],
      r.steps.map((s) => [s.step, s.rows, s.files, formatBytes(s.bytes), s.ms, s.skipped ?? ''] as const),
    ),
    `\ntotal: ${verb} ${r.total.rows} row(s), ${r.total.files} file(s), ${formatBytes(r.total.bytes)} in ${r.ms} ms\n`,
    `before: database ${formatBytes(r.before.databaseBytes)}, content ${r.before.contentFiles} file(s) ${formatBytes(r.before.contentBytes)}\n`,
  ];
  if (r.after)
    out.push(
      `after:  database ${formatBytes(r.after.databaseBytes)}, content ${r.after.contentFiles} file(s) ${formatBytes(r.after.contentBytes)}\n`,
    );
  for (const s of r.steps) {
    if (s.items.length === 0) continue;
    out.push(`\n${s.step} (${s.items.length}):\n`);
    for (const i of s.items.slice(0, shownPerStep))
      out.push(`  ${i.id}  ${i.detail}${i.bytes ? ` (${formatBytes(i.bytes)})` : ''}\n`);
    if (s.items.length > shownPerStep)
      out.push(`  ... and ${s.items.length - shownPerStep} more (--json lists all)\n`);
  }
  return out.join('');
}
