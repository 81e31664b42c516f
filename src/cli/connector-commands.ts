/**
 * `patchbay connector check | run | receiver`. For these commands the global `-c FILE` names the connector's
 * INI file (default ./connector.ini), not patchbay.ini: the connector runs next to the server, often on
 * another machine, with its own settings.
 *
 * Exit status of `connector run`: 0 when every group was sent and acknowledged; the failing error's code
 * (69 target unreachable/failed, 76 answer outside the contract, 74 database, ...) when a group failed;
 * 77 when no group failed but the target refused at least one (nothing was sent for it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import {
  buildConnectorReceiver,
  createViewReader,
  loadConnectorConfig,
  loadConnectorConfigOrThrow,
  pinoLevelOf,
  runInstance,
  type ConnectorConfig,
  type InstanceSummary,
} from '../connectors/index.js';
import { formatProblem } from '../config/index.js';
import { AppError, errorCatalogue, type ErrorCode } from '../errors.js';
import { createLogger, type Logger } from '../observability/index.js';
import { openDatabase, type DbHandle } from '../storage/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { packageVersion } from './package-version.js';

export const defaultConnectorIni = 'connector.ini';

function connectorIniFor(opts: GlobalOptions, io: CliIo): string {
  if (opts.config !== undefined) return opts.config;
  const fallback = join(io.cwd, defaultConnectorIni);
  if (existsSync(fallback)) return fallback;
  throw new AppError(
    'PB_ERR_USAGE',
    `no connector configuration: pass -c FILE (or create ./${defaultConnectorIni})`,
  );
}

function connectorLogger(config: ConnectorConfig): Logger {
  const level = pinoLevelOf[config.logSeverity];
  const destination =
    config.logFile === ''
      ? pino.destination({ dest: 2, sync: true })
      : pino.destination({ dest: config.logFile, sync: true, mkdir: true, append: true });
  return createLogger({ level, format: 'json', destination, base: { service: 'patchbay-connector' } });
}

export function openConnectorSource(config: ConnectorConfig): DbHandle {
  const s = config.source;
  if (s.driver === 'sqlite') {
    if (!existsSync(s.path))
      throw new AppError('PB_ERR_NOT_FOUND', `source.path: the database ${s.path} does not exist`);
    return openDatabase({ driver: 'sqlite', path: s.path });
  }
  const url = new URL(s.url);
  if (s.password !== '') url.password = encodeURIComponent(s.password);
  return openDatabase({ driver: 'postgres', connectionString: url.toString(), poolSize: 2 });
}

export function formatSummary(s: InstanceSummary): string {
  const lines = [
    `instance ${s.instance}: ${s.outcome} (run ${s.runId}, ${(s.durationMs / 1000).toFixed(1)} s)`,
  ];
  for (const g of s.groups) {
    const detail =
      g.outcome === 'sent'
        ? `${g.mode}: ${g.records.updates} updates, ${g.records.computers} computers, ${g.records.statuses} states, ${g.parts} parts, ${g.bytes} bytes`
        : (g.reason ?? '');
    lines.push(`  group ${JSON.stringify(g.group)}: ${g.outcome}${detail ? ` - ${detail}` : ''}`);
  }
  lines.push(
    `  total: ${s.totals.groups} groups sent, ${s.totals.computers} computers, ${s.totals.updates} updates, ${s.totals.statuses} states, ${s.totals.bytes} bytes, ${s.requests} requests (${s.retries} retries), peak RSS ${Math.round(s.maxRssBytes / 1048576)} MiB`,
  );
  return `${lines.join('\n')}\n`;
}

/** The exit code of a set of instance runs (see the file comment). */
export function exitCodeOf(summaries: readonly InstanceSummary[]): { code: number; message?: string } {
  for (const s of summaries)
    for (const g of s.groups)
      if (g.outcome === 'failed') {
        const code = (g.errorCode ?? 'PB_ERR_INTERNAL') as ErrorCode;
        return {
          code: errorCatalogue[code]?.exit ?? 70,
          message: `${code}: ${s.instance}/${g.group}: ${g.reason ?? 'failed'}`,
        };
      }
  for (const s of summaries)
    for (const g of s.groups)
      if (g.outcome === 'refused')
        return {
          code: errorCatalogue.PB_ERR_CONNECTOR_UNAUTHORIZED.exit,
          message: `PB_ERR_CONNECTOR_UNAUTHORIZED: ${s.instance}/${g.group}: ${g.reason ?? 'refused'}; nothing was sent for it`,
        };
  return { code: 0 };
}

export function registerConnectorCommands(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  const connector = program
    .command('connector')
    .description(
      'asset-management connector (here -c names the connector INI file, default ./connector.ini)',
    );

  connector
    .command('check')
    .description('validate the connector INI file; each problem as `section.key: message (where)`')
    .action(async (_opts: unknown, cmd: Command) => {
      const file = connectorIniFor(cmd.optsWithGlobals<GlobalOptions>(), io);
      const r = await loadConnectorConfig({ file, env: io.env, cwd: io.cwd });
      if (!r.ok) {
        for (const p of r.problems) io.stderr(`${formatProblem(p)}\n`);
        io.stderr(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} in ${r.file}\n`);
        setExitCode(errorCatalogue.PB_ERR_CONFIG_INVALID.exit);
        return;
      }
      const names = r.config.instances.map((i) => `${i.name} -> ${i.baseUrl} (${i.groups.length} groups)`);
      io.stdout(`connector configuration OK: ${names.join('; ')}\n`);
      setExitCode(0);
    });

  connector
    .command('run')
    .description('run the connector once for every instance (or the named ones) and print a summary')
    .option('--instance <name...>', 'run only these instances')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { instance?: string[]; json?: boolean }, cmd: Command) => {
      const file = connectorIniFor(cmd.optsWithGlobals<GlobalOptions>(), io);
      const config = await loadConnectorConfigOrThrow({ file, env: io.env, cwd: io.cwd });
      const wanted = opts.instance ?? [];
      for (const n of wanted)
        if (!config.instances.some((i) => i.name === n))
          throw new AppError(
            'PB_ERR_USAGE',
            `no [instance:${n}] in ${config.file} (known: ${config.instances.map((i) => i.name).join(', ')})`,
          );
      const instances = config.instances.filter((i) => wanted.length === 0 || wanted.includes(i.name));
      const logger = connectorLogger(config);
      const handle = openConnectorSource(config);
      const summaries: InstanceSummary[] = [];
      try {
        const reader = createViewReader(handle);
        for (const instance of instances)
          summaries.push(await runInstance({ instance, handle, reader, logger, version: packageVersion() }));
      } finally {
        await handle.close();
      }
      io.stdout(
        opts.json ? `${JSON.stringify(summaries, null, 2)}\n` : summaries.map(formatSummary).join(''),
      );
      const exit = exitCodeOf(summaries);
      if (exit.message !== undefined) io.stderr(`patchbay: ${exit.message}\n`);
      setExitCode(exit.code);
    });

  connector
    .command('receiver')
    .description('run the reference receiver of the connector wire contract, storing what it receives')
    .requiredOption('--data-dir <dir>', 'where received runs are stored')
    .option('--port <port>', 'port to listen on (0: any free port)', '8540')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--token <token>', 'require this bearer token (or basic auth with it as the password)')
    .option('--token-file <file>', 'read the token from this file')
    .option('--refuse-group <name...>', 'answer "not authorized" for these groups')
    .option('--fail-after-parts <n>', 'fault injection: answer 503 to uploads after n stored parts')
    .option('--fail-count <n>', 'fault injection: fail this many uploads, then recover (default: all)')
    .action(
      async (opts: {
        dataDir: string;
        port: string;
        host: string;
        token?: string;
        tokenFile?: string;
        refuseGroup?: string[];
        failAfterParts?: string;
        failCount?: string;
      }) => {
        const int = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
          if (v === undefined) return undefined;
          if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max)
            throw new AppError(
              'PB_ERR_USAGE',
              `--${name}: expected an integer ${min}..${max}, got ${JSON.stringify(v)}`,
            );
          return Number(v);
        };
        const port = int('port', opts.port, 0, 65535) ?? 8540;
        let token = opts.token ?? io.env.PATCHBAY_RECEIVER_TOKEN;
        if (opts.tokenFile !== undefined)
          token = readFileSync(resolve(io.cwd, opts.tokenFile), 'utf8').trim();
        const logger = createLogger({
          level: 'info',
          format: 'json',
          destination: pino.destination({ dest: 2, sync: true }),
        });
        const app = await buildConnectorReceiver({
          dataDir: resolve(io.cwd, opts.dataDir),
          token: token === '' ? undefined : token,
          refuseGroups: opts.refuseGroup ?? [],
          failAfterParts: int('fail-after-parts', opts.failAfterParts, 0, 1e9),
          failCount: int('fail-count', opts.failCount, 1, 1e9),
          logger,
        });
        try {
          await app.listen({ host: opts.host, port });
        } catch (e) {
          throw new AppError(
            'PB_ERR_LISTEN',
            `cannot listen on ${opts.host}:${port}: ${(e as Error).message}`,
            {
              cause: e,
            },
          );
        }
        const addr = app.server.address();
        const actual = addr !== null && typeof addr === 'object' ? addr.port : port;
        io.stdout(
          `receiver listening on http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${actual}\n`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await app.close();
        setExitCode(0);
      },
    );
}
