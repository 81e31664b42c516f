/**
 * `patchbay health` (docs/operations.md "Health"): the checks of `wsusutil checkhealth` (database, content
 * store, synchronization, certificate) and more, each ok / warning / critical with a sentence. The exit code
 * follows the monitoring-plugin convention (0 ok, 1 warning, 2 critical, 3 unknown), so Nagios, Icinga,
 * Zabbix or a systemd timer can use it as it is. `patchbay status` shows the same findings as its warnings.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { checkStaleSync } from '../jobs/index.js';
import { createRepositories, migrationStatus, type DbHandle } from '../storage/index.js';
import { diskUsage } from './disk.js';

export type HealthStatus = 'ok' | 'warning' | 'critical';

export interface HealthCheck {
  readonly name: string;
  readonly status: HealthStatus;
  readonly message: string;
}

export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks: readonly HealthCheck[];
}

/** Exit codes of `patchbay health`: the monitoring-plugin convention. */
export const healthExitCodes = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

const rank: Record<HealthStatus, number> = { ok: 0, warning: 1, critical: 2 };

export function worstOf(checks: readonly HealthCheck[]): HealthStatus {
  return checks.reduce<HealthStatus>((w, c) => (rank[c.status] > rank[w] ? c.status : w), 'ok');
}

export interface HealthDeps {
  readonly config: Config;
  /** Undefined when the database could not be opened (`openError` says why). */
  readonly db: DbHandle | undefined;
  readonly openError?: string;
  readonly now?: number;
}

async function guarded(name: string, fn: () => Promise<HealthCheck[]>): Promise<HealthCheck[]> {
  try {
    return await fn();
  } catch (e) {
    return [{ name, status: 'critical', message: `check failed: ${(e as Error).message}` }];
  }
}

export async function runHealthChecks(deps: HealthDeps): Promise<HealthReport> {
  const { config, db } = deps;
  const now = deps.now ?? Date.now();
  const checks: HealthCheck[] = [];
  checks.push(...(await guarded('database', () => databaseCheck(deps))));
  checks.push(...(await guarded('content-store', () => contentStoreCheck(config.content.dir))));
  checks.push(...(await guarded('disk', () => diskChecks(config))));
  if (db !== undefined) {
    checks.push(...(await guarded('sync', () => syncCheck(config, db, now))));
    checks.push(...(await guarded('content-failures', () => contentFailuresCheck(db))));
    checks.push(...(await guarded('install-failures', () => installFailuresCheck(config, db, now))));
  }
  checks.push(...(await guarded('certificate', () => certificateCheck(config, now))));
  return { status: worstOf(checks), checks };
}

async function databaseCheck(deps: HealthDeps): Promise<HealthCheck[]> {
  if (deps.db === undefined)
    return [
      { name: 'database', status: 'critical', message: deps.openError ?? 'the database cannot be opened' },
    ];
  await createRepositories(deps.db).health.ping();
  const m = await migrationStatus(deps.db);
  if (m.applied.length === 0)
    return [
      {
        name: 'database',
        status: 'critical',
        message: 'reachable but empty: run `patchbay db migrate` or `patchbay serve`',
      },
    ];
  if (m.pending.length > 0)
    return [
      {
        name: 'database',
        status: 'warning',
        message: `reachable; ${m.pending.length} migration(s) pending (${m.pending.join(', ')}): the next start applies them`,
      },
    ];
  return [
    {
      name: 'database',
      status: 'ok',
      message: `reachable, schema up to date (${m.applied.length} migrations)`,
    },
  ];
}

/** The store is readable and writable: a probe file is written, read back and removed. */
export async function probeContentStore(dir: string): Promise<void> {
  const probe = join(dir, `.health-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  const data = randomBytes(16);
  try {
    await writeFile(probe, data, { flag: 'wx', mode: 0o640 });
    const back = await readFile(probe);
    if (!back.equals(data)) throw new Error('a file written to the content store read back different');
  } finally {
    await rm(probe, { force: true });
  }
}

async function contentStoreCheck(dir: string): Promise<HealthCheck[]> {
  try {
    await probeContentStore(dir);
    return [{ name: 'content-store', status: 'ok', message: `${dir} readable and writable` }];
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    const why = missing ? 'does not exist (`patchbay serve` creates it)' : (e as Error).message;
    return [{ name: 'content-store', status: 'critical', message: `${dir}: ${why}` }];
  }
}

async function diskChecks(config: Config): Promise<HealthCheck[]> {
  const h = config.health;
  const places: [string, string][] = [['content', config.content.dir]];
  // The data directory's file system too when it is another one (the SQLite database lives there).
  places.push(['data', config.server.dataDir]);
  const seen = new Set<number>();
  const out: HealthCheck[] = [];
  for (const [what, path] of places) {
    const d = await diskUsage(path);
    // Same file system (same size and free space): one line is enough.
    const key = d.totalBytes * 31 + d.freeBytes;
    if (seen.has(key)) continue;
    seen.add(key);
    const status: HealthStatus =
      d.freePercent < h.diskCriticalPercent
        ? 'critical'
        : d.freePercent < h.diskWarningPercent
          ? 'warning'
          : 'ok';
    out.push({
      name: `disk-${what}`,
      status,
      message: `${path}: ${d.freePercent}% free (${formatGiB(d.freeBytes)} of ${formatGiB(d.totalBytes)})`,
    });
  }
  return out;
}

function formatGiB(n: number): string {
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

/** Synchronization age against the schedule: stale past sync.stale_after_hours, critical past twice that. */
async function syncCheck(config: Config, db: DbHandle, now: number): Promise<HealthCheck[]> {
  const staleAfterMs = config.sync.staleAfterHours * 3_600_000;
  const repos = createRepositories(db);
  const r = await checkStaleSync(repos, { staleAfterMs, now });
  const out: HealthCheck[] = [];
  if (r.lastGoodAt === undefined)
    out.push({ name: 'sync', status: 'warning', message: 'no synchronization has succeeded yet' });
  else {
    const hours = Math.round((r.ageMs ?? 0) / 360_000) / 10;
    const status: HealthStatus = !r.stale ? 'ok' : (r.ageMs ?? 0) > 2 * staleAfterMs ? 'critical' : 'warning';
    out.push({
      name: 'sync',
      status,
      message: `last good synchronization ${hours} h ago (stale after ${config.sync.staleAfterHours} h)`,
    });
  }
  const last = (await repos.syncRuns.list(1))[0];
  if (last !== undefined && last.outcome === 'failed')
    out.push({
      name: 'sync-last-run',
      status: 'warning',
      message: `the last run (${last.syncRunId}, ${last.kind}) failed: ${last.error?.message.slice(0, 200) ?? 'no reason recorded'}`,
    });
  if (r.pin !== undefined)
    out.push({
      name: 'catalog-pin',
      status: 'warning',
      message: `the catalog is pinned to generation ${r.pin.generationId} (catalog rollback): run \`patchbay catalog unpin\` when done`,
    });
  return out;
}

async function contentFailuresCheck(db: DbHandle): Promise<HealthCheck[]> {
  const failed = await createRepositories(db).contentState.totalIn('failed');
  return [
    failed.files === 0
      ? { name: 'content-failures', status: 'ok', message: 'no failed downloads' }
      : {
          name: 'content-failures',
          status: 'warning',
          message: `${failed.files} file(s) failed to download or verify: see \`patchbay content status\``,
        },
  ];
}

async function installFailuresCheck(config: Config, db: DbHandle, now: number): Promise<HealthCheck[]> {
  const s = await createRepositories(db).opsStats.snapshot({
    activeSince: now - 3_600_000,
    failuresSince: now - 3_600_000,
  });
  const limit = config.health.installFailureSpike;
  return [
    s.recentInstallFailures >= limit
      ? {
          name: 'install-failures',
          status: 'warning',
          message: `${s.recentInstallFailures} install failures reported in the last hour (spike threshold ${limit})`,
        }
      : {
          name: 'install-failures',
          status: 'ok',
          message: `${s.recentInstallFailures} install failure(s) in the last hour`,
        },
  ];
}

/** The HTTPS certificate: warning within health.cert_warning_days of expiry, critical when expired or unreadable. */
async function certificateCheck(config: Config, now: number): Promise<HealthCheck[]> {
  const file = config.server.tlsCertFile;
  if (file === '') return [];
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await readFile(file));
  } catch (e) {
    return [{ name: 'certificate', status: 'critical', message: `${file}: ${(e as Error).message}` }];
  }
  const validTo = Date.parse(cert.validTo);
  const days = Math.floor((validTo - now) / 86_400_000);
  const when = new Date(validTo).toISOString();
  if (validTo <= now) return [{ name: 'certificate', status: 'critical', message: `expired on ${when}` }];
  if (Date.parse(cert.validFrom) > now)
    return [{ name: 'certificate', status: 'critical', message: `not valid before ${cert.validFrom}` }];
  return [
    {
      name: 'certificate',
      status: days < config.health.certWarningDays ? 'warning' : 'ok',
      message: `expires in ${days} day(s) (${when})`,
    },
  ];
}
