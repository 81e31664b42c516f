/**
 * Shared pieces of the sync-related commands (sync, catalog, products/classifications/languages, content):
 * opening the configured database, the CLI logger, and the plain-text table/byte/time formatting.
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import type { Config } from '../config/index.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../observability/index.js';
import type { DbHandle } from '../storage/index.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { loadCliConfigOrThrow } from './cli-config.js';
import { openCliDatabase } from './cli-database.js';

export interface SyncCliContext {
  readonly config: Config;
  readonly db: DbHandle;
  /** Logs go to stderr so stdout stays the command's output; warnings only unless --debug. */
  readonly logger: Logger;
  readonly json: boolean;
}

/** Loads the config, opens the database (schema brought up to date), runs `fn`, closes the database. */
export async function withSyncCli<T>(
  cmd: Command,
  io: CliIo,
  fn: (ctx: SyncCliContext) => Promise<T>,
): Promise<T> {
  const opts = cmd.optsWithGlobals<GlobalOptions & { json?: boolean }>();
  const config = await loadCliConfigOrThrow(opts, io);
  const logger = createLogger({
    level: opts.debug === true ? config.log.level : 'warn',
    format: config.log.format,
    destination: pino.destination({ dest: 2, sync: true }),
    base: { service: 'patchbay-cli' },
  });
  // Only `serve` and `db migrate` create a database: a sync pointed at the wrong data_dir or database.url
  // would otherwise fill a second, unnoticed catalog that no server ever serves.
  const db = await openCliDatabase(config);
  try {
    return await fn({ config, db, logger, json: opts.json === true });
  } finally {
    await db.close();
  }
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** A left-aligned text table; numbers are right-aligned. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[], raw?: readonly (string | number)[]) =>
    r
      .map((c, i) => (typeof raw?.[i] === 'number' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map((r, i) => line(r, rows[i]))]
    .join('\n')
    .concat('\n');
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '-';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${(m / 60).toFixed(1)} h`;
}

export function parseLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,7}$/.test(value) || Number(value) === 0)
    throw usage(`--limit must be a positive integer, got ${value}`);
  return Number(value);
}

export function usage(message: string): AppError {
  return new AppError('PB_ERR_USAGE', message);
}

// The progress counter moved to src/operations (the REST API's sync job reports the same figures).
export { phaseCounter } from '../operations/index.js';
