/**
 * Whole-database copies for `patchbay backup` / `patchbay restore` (docs/operations.md "Backup and restore").
 *
 * SQLite: `VACUUM INTO` writes a consistent, compacted copy from one read transaction, so a serving process keeps
 * writing (WAL) while it runs and the copy never restarts, unlike the page-by-page backup API, which starts over
 * whenever another connection writes. PostgreSQL: `pg_dump --format=custom`, the tool operators already trust,
 * with the configured connection (the password through PGPASSWORD, never on the command line); restore with
 * `pg_restore --single-transaction` into an empty database.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sql } from 'kysely';
import { AppError } from '../../errors.js';
import type { DbHandle, OpenDatabaseOptions } from './open-database.js';

/** Writes a consistent copy of the open SQLite database to `file` (which must not exist). */
export async function snapshotSqlite(handle: DbHandle, file: string): Promise<void> {
  if (handle.dialect !== 'sqlite')
    throw new AppError('PB_ERR_INTERNAL', 'snapshotSqlite on a PostgreSQL handle');
  await sql`VACUUM INTO ${file}`.execute(handle.db);
}

/** Puts a SQLite copy in place as `target`; refuses to overwrite an existing database. */
export async function installSqliteCopy(copy: string, target: string): Promise<void> {
  if (await exists(target))
    throw new AppError(
      'PB_ERR_CONFLICT',
      `a database already exists at ${target}: restore only onto a new data directory (move the old one away first)`,
    );
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.restore-partial`;
  await rm(partial, { force: true });
  await copyFile(copy, partial);
  await rename(partial, target);
}

export interface PostgresTarget {
  /** Connection string with or without the password. */
  readonly url: string;
  /** Password kept apart from the URL (database.password / password_file). */
  readonly password: string;
}

/** A connection string for pg_dump/pg_restore without the password, and the environment that carries it. */
function pgArgs(target: PostgresTarget): { url: string; env: NodeJS.ProcessEnv } {
  const u = new URL(target.url);
  const password = target.password !== '' ? target.password : decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), env: { ...process.env, ...(password !== '' ? { PGPASSWORD: password } : {}) } };
}

/** The PostgreSQL target of database options (the password moved out of the URL). */
export function postgresTargetOf(options: OpenDatabaseOptions): PostgresTarget {
  if (options.driver !== 'postgres') throw new AppError('PB_ERR_INTERNAL', 'not a PostgreSQL database');
  return { url: options.connectionString, password: '' };
}

export async function dumpPostgres(target: PostgresTarget, file: string): Promise<void> {
  const { url, env } = pgArgs(target);
  await runTool(
    'pg_dump',
    ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, `--dbname=${url}`],
    env,
  );
}

export async function restorePostgres(target: PostgresTarget, file: string): Promise<void> {
  const { url, env } = pgArgs(target);
  await runTool(
    'pg_restore',
    ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${url}`, file],
    env,
  );
}

/** True when the database holds no Patchbay schema yet (a restore target). */
export async function isEmptyDatabase(handle: DbHandle): Promise<boolean> {
  if (handle.dialect === 'sqlite') {
    const r = await sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`.execute(
      handle.db,
    );
    return Number(r.rows[0]?.n ?? 0) === 0;
  }
  const r = await sql<{ n: number }>`
    SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()`.execute(
    handle.db,
  );
  return Number(r.rows[0]?.n ?? 0) === 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs pg_dump/pg_restore; a missing tool or a failure is a PB_ERR_DB with the tool's own message. */
function runTool(tool: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      if (stderr.length < 8192) stderr += s;
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new AppError(
          'PB_ERR_DB',
          e.code === 'ENOENT'
            ? `${tool} not found: install the PostgreSQL client tools (Debian: postgresql-client) of the server's major version`
            : `${tool} failed to start: ${e.message}`,
          { cause: e },
        ),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new AppError('PB_ERR_DB', `${tool} exited with ${code}: ${stderr.trim().slice(0, 2000)}`));
    });
  });
}
