/**
 * What the administration commands share: one database session per command through the same services the
 * REST API uses (src/admin), the acting OS user for the audit log, `--json` versus human tables, and strict
 * option parsers whose failures are usage errors (exit 64).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { createAdminServices, replicaOfConfig, type AdminServices } from '../admin/index.js';
import { type AdminActor } from '../fleet/index.js';
import { AppError } from '../errors.js';
import type { CliIo, GlobalOptions } from './cli-io.js';
import { loadCliConfigOrThrow } from './cli-config.js';
import { openCliDatabase } from './cli-database.js';

export interface JsonOption {
  json?: boolean;
}

/** The person at the keyboard: changes made with the CLI are audited as `cli:<OS user>`. */
export function cliActor(io: CliIo): AdminActor {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = undefined;
  }
  name ||= io.env.USER ?? io.env.USERNAME ?? 'unknown';
  return { via: 'cli', name: name.slice(0, 100) };
}

/** Opens the configured database (schema brought up to date), runs `fn` with the services, closes. */
export async function withAdmin<T>(
  cmd: Command,
  io: CliIo,
  fn: (services: AdminServices, actor: AdminActor) => Promise<T>,
): Promise<T> {
  const config = await loadCliConfigOrThrow(cmd.optsWithGlobals<GlobalOptions>(), io);
  const handle = await openCliDatabase(config);
  try {
    const services = createAdminServices(handle, {
      contentMode: config.content.mode,
      express: config.content.express,
      declineSupersededAfterDays: config.maintenance.declineSupersededAfterDays,
      ...replicaOfConfig(config),
    });
    return await fn(services, cliActor(io));
  } finally {
    await handle.close();
  }
}

/** Prints `data` as JSON (`--json`) or as the human rendering. */
export function emit(io: CliIo, opts: JsonOption, data: unknown, human: () => string): void {
  io.stdout(opts.json === true ? `${JSON.stringify(data, null, 2)}\n` : human());
}

/** A plain text table; cells are single-line and capped so one long title cannot wreck the layout. */
export function renderTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cell = (v: unknown) => {
    const s =
      v === null || v === undefined
        ? ''
        : typeof v === 'string'
          ? v
          : typeof v === 'number' || typeof v === 'boolean'
            ? String(v)
            : JSON.stringify(v);
    // eslint-disable-next-line no-control-regex
    const flat = s.replace(/[\u0000-\u001f\u007f]/g, ' ');
    return flat.length > 70 ? `${flat.slice(0, 69)}…` : flat;
  };
  const cells = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...cells.map(line)].join('\n')}\n`;
}

export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Repeatable option collector (`--group A --group B`, also `--group A,B`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  ];
}

export function parseIntOption(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value) || Number(value) < min || Number(value) > max)
    throw new AppError(
      'PB_ERR_USAGE',
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return Number(value);
}

export function parseOnOff(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(v)) return true;
  if (['off', 'false', 'no', '0'].includes(v)) return false;
  throw new AppError('PB_ERR_USAGE', `${name} must be on or off, got ${JSON.stringify(value)}`);
}

/** Adds the page options (`--limit`, `--cursor`) every list command has. */
export function pageOptions(cmd: Command): Command {
  return cmd
    .option('--limit <n>', 'page size (1-500, default 50)')
    .option('--cursor <cursor>', 'the next-page cursor printed by the previous page')
    .option('--json', 'print JSON');
}

export function pageRequest(opts: { limit?: string; cursor?: string }) {
  return {
    limit: parseIntOption(opts.limit, '--limit', 1, 500),
    ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
  };
}

/** The footer of a human list: where the next page starts. */
export function nextPageHint(nextCursor: string | undefined): string {
  return nextCursor === undefined ? '' : `(more: --cursor ${nextCursor})\n`;
}
