/**
 * `patchbay serve`: run the server until SIGINT/SIGTERM, then stop gracefully. SIGHUP re-reads the
 * configuration and applies the log level and the TLS certificate/key; other settings need a restart.
 */
import type { Command } from 'commander';
import { loadConnectorConfigOrThrow } from '../connectors/index.js';
import { startPatchbay } from '../main.js';
import { createLogger } from '../observability/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { formatProblem } from '../config/index.js';
import { loadCliConfig, loadCliConfigOrThrow } from './cli-config.js';

/** In-flight requests get this long after a stop signal; then the process exits anyway. */
export const shutdownDeadlineMs = 15_000;

export function registerServeCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('serve')
    .description('start the update server (client ports and admin port) until SIGINT/SIGTERM')
    .option('--connector-config <file>', 'run the asset-management connector (connector.ini) on its schedule')
    .action(async (opts: { connectorConfig?: string }, cmd: Command) => {
      const config = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
      const connectorConfig =
        opts.connectorConfig === undefined
          ? undefined
          : await loadConnectorConfigOrThrow({ file: opts.connectorConfig, env: io.env, cwd: io.cwd });
      const logger = createLogger({
        level: config.log.level,
        format: config.log.format,
        base: { service: 'patchbay' },
      });
      const running = await startPatchbay(config, logger, connectorConfig ? { connectorConfig } : {});
      // Without a handler SIGHUP would end the process; servers reload on it (logrotate, renewed certificates).
      const reloadOnHangup = async () => {
        const next = await loadCliConfig(cmd.optsWithGlobals<GlobalOptions>(), io);
        if (!next.ok) {
          logger.error(
            { signal: 'SIGHUP', problems: next.problems.map(formatProblem) },
            'reload refused: the configuration is invalid; keeping the current settings',
          );
          return;
        }
        const previousLevel = logger.level;
        logger.level = next.config.log.level;
        logger.info({ signal: 'SIGHUP', previousLevel, level: logger.level }, 'reload: log level set');
        try {
          logger.info({ signal: 'SIGHUP' }, `reload: ${await running.reloadTls(next.config)}`);
        } catch (err) {
          logger.error({ signal: 'SIGHUP', err }, 'reload: TLS certificate not reloaded');
        }
      };
      const onHangup = () => {
        reloadOnHangup().catch((err: unknown) => logger.error({ signal: 'SIGHUP', err }, 'reload failed'));
      };
      process.on('SIGHUP', onHangup);

      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      logger.info({ signal }, 'stopping: finishing in-flight requests');
      const deadline = setTimeout(() => {
        logger.error(
          { deadlineMs: shutdownDeadlineMs },
          'shutdown deadline passed; exiting without a clean stop',
        );
        process.exit(1);
      }, shutdownDeadlineMs);
      deadline.unref();
      // A second signal while stopping means "now".
      const again = () => {
        logger.warn('second signal: exiting immediately');
        process.exit(1);
      };
      process.once('SIGINT', again);
      process.once('SIGTERM', again);
      await running.close();
      process.removeListener('SIGHUP', onHangup);
      clearTimeout(deadline);
      process.removeListener('SIGINT', again);
      process.removeListener('SIGTERM', again);
      logger.info('stopped');
      setExitCode(0);
    });
}
