/** `patchbay config check | show | defaults`. */
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import {
  effectiveConfigObject,
  formatProblem,
  renderDefaultsIni,
  renderEffectiveIni,
} from '../config/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { configFileFor, loadCliConfig, loadCliConfigOrThrow } from './cli-config.js';

/** Exit code of `config check` with problems (EX_CONFIG), the catalogue code of PB_ERR_CONFIG_INVALID. */
const configProblemExit = new AppError('PB_ERR_CONFIG_INVALID', '').exitCode;

export function registerConfigCommands(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  const config = program.command('config').description('check, show or generate the configuration');

  config
    .command('check')
    .description('validate the configuration (file + environment); print each problem with its INI path')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const file = configFileFor(globals, io);
      const r = await loadCliConfig(globals, io);
      const source = file ?? 'embedded defaults';
      if (opts.json) {
        io.stdout(
          `${JSON.stringify({ ok: r.ok, file: r.file ?? null, problems: r.ok ? [] : r.problems }, null, 2)}\n`,
        );
      } else if (r.ok) {
        io.stdout(`configuration OK (${source})\n`);
      } else {
        io.stderr(`${source}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}\n`);
        for (const p of r.problems) io.stderr(`  ${formatProblem(p)}\n`);
      }
      if (!r.ok) setExitCode(configProblemExit);
    });

  config
    .command('show')
    .description('print the effective configuration (defaults < file < environment), secrets redacted')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const c = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
      io.stdout(opts.json ? `${JSON.stringify(effectiveConfigObject(c), null, 2)}\n` : renderEffectiveIni(c));
    });

  config
    .command('defaults')
    .description('print a commented INI file with every key at its default')
    .action(() => {
      io.stdout(renderDefaultsIni());
    });
}
