/**
 * `patchbay export --to DIR` and `patchbay import DIR` (docs/operations.md "Air-gapped networks"). Exit codes:
 * 0 done; 65 a bundle that does not verify (PB_ERR_BUNDLE_INVALID) or that is not newer than the last one
 * imported from its server (PB_ERR_BUNDLE_REPLAYED): nothing changed.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { contentModes, exportBundle, importBundle } from '../bundle/index.js';
import type { ContentMode } from '../domain/index.js';
import { AppError } from '../errors.js';
import { openContentStore } from '../storage/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { loadCliConfigOrThrow } from './cli-config.js';
import { openCliDatabase } from './cli-database.js';
import { packageVersion } from './package-version.js';
import { formatBytes, formatDuration, printJson } from './sync-cli-support.js';

interface ExportOptions {
  to: string;
  since?: string;
  content: string;
  approvals: boolean;
  declines: boolean;
  groups: boolean;
  rules: boolean;
  chunkSize?: string;
  json?: boolean;
}

function contentMode(value: string): ContentMode {
  if ((contentModes as readonly string[]).includes(value)) return value as ContentMode;
  throw new AppError('PB_ERR_USAGE', `--content ${value}: one of ${contentModes.join(', ')}`);
}

/** `--chunk-size`: MiB (`64`, `0.5`) or a size with its unit as in the INI file (`4095MiB`, `512KiB`). */
function chunkBytes(value: string): number {
  const m = /^(\d{1,13}(?:\.\d{1,6})?)\s*(KiB|MiB|GiB)?$/i.exec(value.trim());
  if (m === null)
    throw new AppError('PB_ERR_USAGE', `--chunk-size ${value}: MiB (e.g. 64) or a size such as 512KiB, 4GiB`);
  const unit = { kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }[(m[2] ?? 'MiB').toLowerCase()]!;
  return Math.round(Number(m[1]) * unit);
}

export function registerBundleCommands(program: Command, io: CliIo): void {
  program
    .command('export')
    .description('write a bundle for a disconnected server: documents, content, approvals, groups, rules')
    .requiredOption(
      '--to <dir>',
      'bundle folder (created; the same command again resumes an interrupted export)',
    )
    .option('--since <export>', 'incremental: only what changed since this earlier export (its id or folder)')
    .option('--content <mode>', 'files to carry: approved, all or none', 'approved')
    .option('--no-approvals', 'leave approvals (and EULA acceptances) out')
    .option('--no-declines', 'leave declines out')
    .option('--no-groups', 'leave the computer groups out')
    .option('--no-rules', 'leave the automatic approval rules out')
    .option('--chunk-size <MiB>', 'chunk size in MiB (256 KiB to 4 GiB; default [bundle] chunk_size, 64 MiB)')
    .option('--json', 'print JSON')
    .action(async (opts: ExportOptions, cmd: Command) => {
      const config = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
      const db = await openCliDatabase(config);
      const store = await openContentStore(config);
      try {
        const s = await exportBundle({
          db,
          store,
          to: resolve(io.cwd, opts.to),
          ...(opts.since !== undefined
            ? { since: /^[0-9a-f-]{36}$/i.test(opts.since) ? opts.since : resolve(io.cwd, opts.since) }
            : {}),
          content: contentMode(opts.content),
          approvals: opts.approvals,
          declines: opts.declines,
          groups: opts.groups,
          rules: opts.rules,
          chunkSize: opts.chunkSize !== undefined ? chunkBytes(opts.chunkSize) : config.bundle.chunkSize,
          patchbayVersion: packageVersion(),
        });
        if (opts.json === true) return printJson(io, s);
        io.stdout(
          `export ${s.exportId} (sequence ${s.sequence}${s.sinceExportId ? `, since ${s.sinceExportId}` : ', full'}) in ${s.dir} (${formatDuration(s.durationMs)}):\n` +
            `  documents ${s.documents}\n` +
            `  content   ${s.contentFiles} files, ${formatBytes(s.contentBytes)}` +
            (s.contentMissing > 0
              ? `; ${s.contentMissing} files of the selection are not stored here and are not in the bundle`
              : '') +
            '\n' +
            `  chunks    ${s.chunks} (${formatBytes(s.totalBytes)})${s.chunksKept > 0 ? `, ${s.chunksKept} kept from the interrupted run` : ''}\n` +
            `  manifest  SHA-256 ${s.manifestSha256}\n` +
            `carry the SHA-256 separately and check it on import: patchbay import DIR --digest ${s.manifestSha256}\n`,
        );
      } finally {
        await store.close();
        await db.close();
      }
    });

  program
    .command('import')
    .description('import a bundle written by `patchbay export`, checking every chunk and document first')
    .argument('<dir>', 'bundle folder')
    .option('--dry-run', 'verify the bundle and say what it holds; change nothing')
    .option('--digest <sha256>', 'the manifest SHA-256 the export printed: refuse the bundle if it differs')
    .option('--json', 'print JSON')
    .action(
      async (dir: string, opts: { dryRun?: boolean; digest?: string; json?: boolean }, cmd: Command) => {
        const config = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
        const db = await openCliDatabase(config);
        const store = await openContentStore(config);
        try {
          const s = await importBundle({
            db,
            store,
            from: resolve(io.cwd, dir),
            dryRun: opts.dryRun === true,
            ...(opts.digest !== undefined ? { expectDigest: opts.digest } : {}),
            contentMode: config.content.mode,
          });
          if (opts.json === true) return printJson(io, s);
          const c = s.sync?.counters ?? {};
          io.stdout(
            `${s.dryRun ? 'verified (dry run, nothing changed)' : 'imported'} bundle ${s.exportId} ` +
              `(server ${s.sourceServerId}, sequence ${s.sequence}) in ${formatDuration(s.durationMs)}:\n` +
              `  chunks    ${s.chunksVerified} verified${s.chunksSkipped > 0 ? `, ${s.chunksSkipped} verified by the interrupted run` : ''}\n` +
              `  documents ${s.documents}` +
              (s.sync
                ? `: ${c.revisionsImported ?? 0} imported, ${c.revisionsQuarantined ?? 0} quarantined; ` +
                  (s.sync.generationChanged
                    ? `generation ${s.sync.generationId} active`
                    : 'catalog unchanged') +
                  (s.sync.note ? ` (${s.sync.note})` : '')
                : '') +
              '\n' +
              `  content   ${s.contentFiles} files${s.dryRun ? '' : ` (${s.contentAlreadyPresent} already stored)`}\n` +
              (s.deployments
                ? `  approvals ${s.deployments.approvalsSet ?? 0} set, ${s.deployments.approvalsCleared ?? 0} cleared; ` +
                  `groups +${s.deployments.groupsAdded ?? 0} ~${s.deployments.groupsChanged ?? 0} -${s.deployments.groupsRemoved ?? 0}; ` +
                  `declined ${s.deployments.declined ?? 0}, undeclined ${s.deployments.undeclined ?? 0}\n`
                : '') +
              (s.rules ? `  rules     ${s.rules.created} created, ${s.rules.updated} updated\n` : ''),
          );
        } finally {
          await store.close();
          await db.close();
        }
      },
    );
}
