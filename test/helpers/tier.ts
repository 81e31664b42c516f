/**
 * One tier of an update-server hierarchy as an operator runs it: a directory of its own with a `patchbay.ini`
 * (data dir, database, ports, upstream, content mode, selection), `patchbay db migrate`, and `patchbay serve`
 * as a child process on loopback. The CLI runs in the same directory (`tier.cli('sync', '--json')`), so a
 * test drives each tier with the commands an administrator types: in the test process (the same program,
 * argument parsing and exit codes as the executable, without a process start that costs seconds on a
 * loaded machine), or as a process of its own (`cliProcess`). The tier can be killed with SIGKILL and
 * started again on the same ports and data, which is what a crash test needs. Its JSON log lines are kept.
 *
 * The database is given by the caller (a SQLite file or a PostgreSQL database, e.g. from
 * test/integration/sync/harness.ts `databaseTarget`), so the same hierarchy runs on both.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { runCli } from '../../src/cli/index.js';
import { loadConfigOrThrow, type Config } from '../../src/config/index.js';
import { cliEnv, freePort, runCliProcess, spawnCli, type CliResult } from './cli.js';

export type TierDatabase =
  | { readonly driver: 'sqlite'; readonly path: string }
  | { readonly driver: 'postgres'; readonly connectionString: string };

export interface TierOptions {
  /** For messages and the temp directory name ("A", "B", …). */
  readonly name: string;
  readonly database: TierDatabase;
  /** `[upstream] url`: Microsoft Update, a fake upstream, or another tier's `serverSyncUrl`. */
  readonly upstreamUrl: string;
  /** More `[upstream]` keys, one `key = value` per line (e.g. `mode = replica`). */
  readonly upstreamKeys?: string;
  /** The client port; default a free one. Given when a downstream's configuration must name it first. */
  readonly httpPort?: number;
  /** Extra INI text appended to the generated file (`[content]`, `[selection]`, `[upstream] mode`, …). */
  readonly ini?: string;
}

export interface LogRecord {
  readonly msg?: string;
  readonly level?: number | string;
  readonly [key: string]: unknown;
}

export interface Tier {
  readonly name: string;
  readonly dir: string;
  /** The client port (what clients and downstream servers use). */
  readonly baseUrl: string;
  /** What a downstream tier puts in `[upstream] url`. */
  readonly serverSyncUrl: string;
  /** The admin port of the running process (it changes at each start). */
  readonly adminUrl: () => string;
  /** The running `patchbay serve` process id, undefined while stopped. */
  readonly pid: () => number | undefined;
  /** Log records of every serve process of this tier so far (JSON lines from stdout). */
  readonly logs: () => readonly LogRecord[];
  /** Starts `patchbay serve` and waits until both listeners are up. */
  readonly start: () => Promise<void>;
  /** SIGKILL, as a crash or `kill -9`: no shutdown code runs. Resolves when the process is gone. */
  readonly kill9: () => Promise<void>;
  /** SIGTERM and wait for the exit (a clean stop). */
  readonly stop: () => Promise<void>;
  /** The tier's configuration, as its processes load it. */
  readonly config: () => Promise<Config>;
  /** Runs `patchbay <args>` in the tier's directory, in this process (see the top of this file). */
  readonly cli: (...args: string[]) => Promise<CliResult>;
  /** Runs the `patchbay` executable as a child process in the tier's directory. */
  readonly cliProcess: (...args: string[]) => Promise<CliResult>;
  /** `patchbay <args> --json`, parsed; fails with the output unless it exits 0 (or one of `okCodes`). */
  readonly cliJson: <T>(args: readonly string[], okCodes?: readonly number[]) => Promise<T>;
}

function databaseIni(d: TierDatabase): string {
  return d.driver === 'sqlite'
    ? `[database]\ndriver = sqlite\npath = ${d.path}\n`
    : `[database]\ndriver = postgres\nurl = ${d.connectionString}\n`;
}

/**
 * Creates and starts a tier. Everything it started is stopped (SIGKILL if still running) and its directory
 * removed when the test ends.
 */
export async function startTier(t: TestContext, o: TierOptions): Promise<Tier> {
  const dir = await mkdtemp(join(tmpdir(), `pb-tier-${o.name.toLowerCase()}-`));
  const httpPort = o.httpPort ?? (await freePort());
  let adminPort = 0;
  await writeFile(
    join(dir, 'patchbay.ini'),
    `[server]\ndata_dir = ${join(dir, 'data')}\nbind = 127.0.0.1\nhttp_port = ${httpPort}\n` +
      `[admin]\nbind = 127.0.0.1\n` +
      databaseIni(o.database) +
      // Manual synchronizations only: the test says when each tier syncs.
      `[sync]\nsyncs_per_day = 0\n` +
      `[log]\nformat = json\nlevel = info\n` +
      `[upstream]\nurl = ${o.upstreamUrl}\n${o.upstreamKeys ?? ''}` +
      (o.ini ?? ''),
  );
  const cliProcess = (...args: string[]) => runCliProcess(args, { cwd: dir, timeoutMs: 90_000 });
  const cli = async (...args: string[]): Promise<CliResult> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: (x) => void (stdout += x),
      stderr: (x) => void (stderr += x),
      env: cliEnv(),
      cwd: dir,
    });
    return { code, stdout, stderr };
  };
  const migrated = await cli('db', 'migrate');
  if (migrated.code !== 0)
    throw new Error(`tier ${o.name}: db migrate exited ${migrated.code}\n${migrated.stderr}`);

  let child: ChildProcess | undefined;
  const records: LogRecord[] = [];
  const baseUrl = `http://127.0.0.1:${httpPort}`;

  const start = async (): Promise<void> => {
    if (child !== undefined) throw new Error(`tier ${o.name} is already running`);
    // The admin port is picked again at each start: only the client port is part of the hierarchy's
    // configuration (downstreams name it), and a port freed by a kill may be taken by then.
    adminPort = await freePort();
    const c = spawnCli(['serve'], { cwd: dir, env: { PATCHBAY_ADMIN_PORT: String(adminPort) } });
    child = c;
    let buffered = '';
    let stderr = '';
    let listening = 0;
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`tier ${o.name}: serve did not start\n${stderr}`)),
        180_000,
      );
      c.stdout?.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          let r: LogRecord;
          try {
            r = JSON.parse(line) as LogRecord;
          } catch {
            r = { msg: line };
          }
          records.push(r);
          if (typeof r.msg === 'string' && r.msg.endsWith('server listening') && ++listening === 2) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      c.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (child === c) child = undefined;
        reject(new Error(`tier ${o.name}: serve exited (${code ?? signal})\n${stderr}`));
      });
    });
  };

  const waitExit = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => c.once('exit', () => resolve()));

  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (c === undefined) return;
    const exited = waitExit(c);
    c.kill(signal);
    await exited;
    child = undefined;
  };

  t.after(async () => {
    await kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  await start();

  return {
    name: o.name,
    dir,
    baseUrl,
    serverSyncUrl: `${baseUrl}/ServerSyncWebService/ServerSyncWebService.asmx`,
    adminUrl: () => `http://127.0.0.1:${adminPort}`,
    pid: () => child?.pid,
    logs: () => records,
    start,
    kill9: () => kill('SIGKILL'),
    stop: () => kill('SIGTERM'),
    config: () => loadConfigOrThrow({ env: {}, file: join(dir, 'patchbay.ini') }),
    cli,
    cliProcess,
    cliJson: async <T>(args: readonly string[], okCodes: readonly number[] = [0]): Promise<T> => {
      const r = await cli(...args, '--json');
      if (r.code === null || !okCodes.includes(r.code))
        throw new Error(
          `tier ${o.name}: patchbay ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`,
        );
      return JSON.parse(r.stdout) as T;
    },
  };
}
