/**
 * A throwaway PostgreSQL cluster for tests: initdb into a temp dir (as the `postgres` OS user when we run
 * as root, since initdb refuses root), trust auth, a free port on 127.0.0.1, the unix socket inside the
 * temp dir, durability off (fsync/synchronous_commit/full_page_writes). One cluster per test file; one
 * database per test. Stopped and deleted on cleanup and on process exit.
 */
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import { migrateToLatest, openDatabase, type DbHandle } from '../../src/storage/index.js';

export interface PostgresCluster {
  readonly port: number;
  /** A connection string for the `postgres` maintenance database. */
  readonly adminConnectionString: string;
  /** Creates an empty database (or a copy of `template`) and returns its connection string. */
  createDatabase(options?: { template?: string; name?: string }): Promise<string>;
  stop(): void;
}

/** Where initdb/pg_ctl/postgres live, or undefined when PostgreSQL is not installed. */
export function findPostgresBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const initdb = join(dir, 'initdb');
    if (dir !== '' && existsSync(initdb)) {
      const real = dirname(realpathSync(initdb));
      if (existsSync(join(real, 'postgres')) && existsSync(join(real, 'pg_ctl'))) return real;
    }
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/**
 * Whether PostgreSQL tests can run. Missing binaries fail in CI (process.env.CI) and skip locally with
 * a loud message, so a green local run without PostgreSQL is visibly incomplete.
 */
export function postgresSkipReason(): string | undefined {
  if (findPostgresBinDir() !== undefined) return undefined;
  const msg =
    'PostgreSQL binaries (initdb, pg_ctl, postgres) not found: install the Debian `postgresql` package';
  if (process.env.CI) throw new Error(`${msg} (required in CI)`);
  process.stderr.write(`\n!!!!!!!! SKIPPING PostgreSQL tests: ${msg} !!!!!!!!\n\n`);
  return msg;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = findPostgresBinDir();
  if (bin === undefined) throw new Error('PostgreSQL binaries not found');
  const base = mkdtempSync(join(tmpdir(), 'pb-pg-'));
  const dataDir = join(base, 'data');
  const logFile = join(base, 'postgres.log');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    const r = spawnSync(full[0] as string, full[1] as string[], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0)
      throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout || String(r.error)}`);
  };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stop);
    try {
      if (existsSync(join(dataDir, 'postmaster.pid')))
        run('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
    } catch {
      // Best effort: the directory is removed below either way.
    }
    rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', stop);
  try {
    if (asRoot) {
      const pgUser = lookupUser('postgres');
      if (pgUser === undefined)
        throw new Error('running as root but there is no `postgres` OS user to run initdb');
      chownSync(base, pgUser.uid, pgUser.gid);
      writeFileSync(logFile, '');
      chownSync(logFile, pgUser.uid, pgUser.gid);
    }
    run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const opts = [
      `-p ${port}`,
      `-k ${base}`,
      `-c listen_addresses=127.0.0.1`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    run('pg_ctl', ['start', '-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', opts]);
    const adminConnectionString = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    let counter = 0;
    return {
      port,
      adminConnectionString,
      stop,
      async createDatabase(options) {
        const name = options?.name ?? `pb_test_${process.pid}_${++counter}`;
        const client = new pg.Client({ connectionString: adminConnectionString });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name}" TEMPLATE "${options?.template ?? 'template0'}"`);
        } finally {
          await client.end();
        }
        return `postgresql://postgres@127.0.0.1:${port}/${name}`;
      },
    };
  } catch (e) {
    stop();
    throw e;
  }
}

/**
 * One throwaway cluster per test file, started on first use, with a migrated template database; each `open`
 * returns a handle on a fresh copy of that template (closed by `t.after`). The cluster stops when the file's
 * tests end. Call at module level of a test file that is not skipped (see postgresSkipReason).
 */
export function migratedPostgresDatabases(templateName = 'pb_template'): {
  open(t: { after(fn: () => Promise<void>): void }, poolSize?: number): Promise<DbHandle>;
} {
  let ready: Promise<PostgresCluster> | undefined;
  const setup = (): Promise<PostgresCluster> =>
    (ready ??= (async () => {
      const cluster = await startPostgresCluster();
      const handle = openDatabase({
        driver: 'postgres',
        connectionString: await cluster.createDatabase({ name: templateName }),
      });
      try {
        await migrateToLatest(handle);
      } finally {
        await handle.close();
      }
      return cluster;
    })());
  after(async () => {
    if (ready !== undefined) (await ready).stop();
  });
  return {
    async open(t, poolSize = 4) {
      const cluster = await setup();
      const handle = openDatabase({
        driver: 'postgres',
        connectionString: await cluster.createDatabase({ template: templateName }),
        poolSize,
      });
      t.after(() => handle.close());
      return handle;
    },
  };
}
