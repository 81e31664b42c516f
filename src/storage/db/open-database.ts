import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent, type Transaction } from 'kysely';
import { AppError } from '../../errors.js';
import type { Database } from './database.js';
import type { DialectName } from './dialect.js';
import { withStatementCache } from './sqlite-statement-cache.js';

export type OpenDatabaseOptions =
  | { driver: 'sqlite'; path: string; busyTimeoutMs?: number }
  | { driver: 'postgres'; connectionString: string; poolSize?: number };

/** An open database: the Kysely instance plus what differs per dialect. One handle per process. */
export interface DbHandle {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Runs `fn` in one transaction (commit on return, rollback on throw). Use only `trx` inside. */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** The connection pool now (PostgreSQL); undefined for SQLite, which has one connection and no pool. */
  poolStats(): PoolStats | undefined;
  /**
   * Hands every finished query's duration (and whether it failed) to `observer` (the metrics); one observer,
   * the last one set. Costs a clock reading per query, which Kysely takes anyway when logging is on.
   */
  observeQueries(observer: QueryObserver | undefined): void;
}

export interface PoolStats {
  readonly max: number;
  readonly total: number;
  readonly idle: number;
  /** Queries waiting for a connection: the pool is too small or the database too slow. */
  readonly waiting: number;
}

export type QueryObserver = (durationMs: number, failed: boolean) => void;

const int8Oid = 20;

/**
 * pg returns int8 (bigint, count(*)) as strings by default; all our int8 values are epoch ms, sizes and
 * counters that fit a double, so parse them as numbers — the same type SQLite gives.
 */
function parseInt8(v: string): number {
  return Number(v);
}
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === int8Oid && format !== 'binary'
      ? parseInt8
      : (pg.types.getTypeParser(oid, format ?? 'text') as unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

export function openDatabase(options: OpenDatabaseOptions): DbHandle {
  try {
    return options.driver === 'sqlite' ? openSqlite(options) : openPostgres(options);
  } catch (e) {
    throw new AppError('PB_ERR_DB', `cannot open ${options.driver} database: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

function openSqlite(options: { path: string; busyTimeoutMs?: number }): DbHandle {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const sqlite = new SQLite(options.path);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes (not power loss
  // of the last commits), the usual WAL trade-off. busy_timeout covers another process holding the lock.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Checkpoint the WAL every 8,192 pages (32 MiB) instead of SQLite's 1,000: each checkpoint syncs the database
  // file, and at the default a sync import (one commit per 100 revisions) checkpointed every few batches; the
  // commit share of the import profile halved (bench/sync-import.bench.ts). The file is cut back to 64 MiB.
  sqlite.pragma('wal_autocheckpoint = 8192');
  sqlite.pragma('journal_size_limit = 67108864');
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
  const observer: { fn?: QueryObserver | undefined } = {};
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    log: queryLog(observer),
  });
  return makeHandle(db, 'sqlite', observer, () => undefined);
}

function openPostgres(options: { connectionString: string; poolSize?: number }): DbHandle {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    types: pgTypes,
  });
  // An idle client losing its connection emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  const observer: { fn?: QueryObserver | undefined } = {};
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: queryLog(observer) });
  return makeHandle(db, 'postgres', observer, () => ({
    max: options.poolSize ?? 10,
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  }));
}

function queryLog(observer: { fn?: QueryObserver | undefined }): (event: LogEvent) => void {
  return (event) => observer.fn?.(event.queryDurationMillis, event.level === 'error');
}

function makeHandle(
  db: Kysely<Database>,
  dialect: DialectName,
  observer: { fn?: QueryObserver | undefined },
  poolStats: () => PoolStats | undefined,
): DbHandle {
  let closed = false;
  return {
    db,
    dialect,
    poolStats,
    observeQueries: (fn) => {
      observer.fn = fn;
    },
    transaction: (fn) => db.transaction().execute(fn),
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
