import {
  createRepositories,
  type CatalogPin,
  type DbHandle,
  type GenerationRecord,
  type QuarantineRecord,
  type SyncRunRecord,
} from '../../storage/index.js';
import type { CatalogStatusStores } from './catalog-status-ports.js';

const storesOf = (db: DbHandle): CatalogStatusStores => createRepositories(db);

/**
 * What `patchbay catalog status|rollback|unpin|quarantine` and `sync history` report and change: the catalog
 * generations clients are served from and the sync runs that built them.
 */

export interface CatalogStatus {
  readonly active: GenerationRecord | undefined;
  /** Set by `catalog rollback`: syncs run but activate nothing until `catalog unpin`. */
  readonly pin: CatalogPin | null;
  readonly recentGenerations: readonly GenerationRecord[];
  readonly revisions: number;
  readonly quarantined: number;
  readonly lastRun: SyncRunRecord | undefined;
  readonly lastSuccessfulRun: SyncRunRecord | undefined;
  /** True when the last successful sync is older than `staleAfterMs` (or there never was one). */
  readonly stale: boolean;
}

/** `patchbay catalog status`: the active generation, counts, the last runs and the stale-sync flag. */
export async function catalogStatus(
  db: DbHandle,
  options: { staleAfterMs?: number; now?: number } = {},
): Promise<CatalogStatus> {
  const repos = storesOf(db);
  const [active, pin, recentGenerations, revisions, quarantined, runs, ok, partial] = await Promise.all([
    repos.generations.getActive(),
    repos.generations.getPin(),
    repos.generations.list(10),
    repos.revisions.count(),
    repos.quarantine.count(),
    repos.syncRuns.list(1),
    repos.syncRuns.lastWithOutcome('succeeded'),
    repos.syncRuns.lastWithOutcome('partial'),
  ]);
  const lastGood = [ok, partial].filter((r) => r !== undefined).sort((a, b) => b.syncRunId - a.syncRunId)[0];
  const staleAfter = options.staleAfterMs ?? 48 * 3600_000;
  const now = options.now ?? Date.now();
  return {
    active,
    pin: pin ?? null,
    recentGenerations,
    revisions,
    quarantined,
    lastRun: runs[0],
    lastSuccessfulRun: lastGood,
    stale: lastGood === undefined || now - (lastGood.finishedAt ?? lastGood.startedAt) > staleAfter,
  };
}

/** `patchbay catalog rollback`: generation N (default the previous) active again and pinned, atomically. */
export async function rollbackCatalog(
  db: DbHandle,
  options: { to?: number; pinnedBy?: string } = {},
): Promise<{ active: GenerationRecord; replaced: GenerationRecord | undefined }> {
  return storesOf(db).generations.rollback(options);
}

/** An update as one generation serves it (its highest member revision). */
export interface ServedUpdate {
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly updateType: string;
  readonly title: string | null;
}

/** What clients would see change if generation `to` replaced generation `from`. */
export interface GenerationDiff {
  readonly fromGenerationId: number;
  readonly toGenerationId: number;
  readonly added: readonly ServedUpdate[];
  readonly removed: readonly ServedUpdate[];
  readonly changed: readonly (ServedUpdate & { readonly fromRevisionNumber: number })[];
}

async function servedUpdates(db: DbHandle, generationId: number): Promise<Map<string, ServedUpdate>> {
  const out = new Map<string, ServedUpdate>();
  for (const r of await storesOf(db).generations.memberUpdates(generationId)) {
    const cur = out.get(r.updateId);
    if (cur === undefined || cur.revisionNumber < r.revisionNumber) out.set(r.updateId, r);
  }
  return out;
}

/** Updates (categories included: clients receive those too) added, removed or re-revised from `from` to `to`. */
export async function compareGenerations(db: DbHandle, from: number, to: number): Promise<GenerationDiff> {
  const [a, b] = await Promise.all([servedUpdates(db, from), servedUpdates(db, to)]);
  const byTitle = (x: ServedUpdate, y: ServedUpdate) =>
    (x.title ?? '').localeCompare(y.title ?? '') || x.updateId.localeCompare(y.updateId);
  const added = [...b.values()].filter((u) => !a.has(u.updateId)).sort(byTitle);
  const removed = [...a.values()].filter((u) => !b.has(u.updateId)).sort(byTitle);
  const changed = [...b.values()]
    .filter((u) => a.has(u.updateId) && a.get(u.updateId)!.revisionNumber !== u.revisionNumber)
    .map((u) => ({ ...u, fromRevisionNumber: a.get(u.updateId)!.revisionNumber }))
    .sort(byTitle);
  return { fromGenerationId: from, toGenerationId: to, added, removed, changed };
}

/** `patchbay catalog rollback --dry-run`: what clients would see change; nothing is written. */
export async function planRollback(db: DbHandle, options: { to?: number } = {}): Promise<GenerationDiff> {
  const { active, target } = await storesOf(db).generations.rollbackTarget(options.to);
  return compareGenerations(db, active.generationId, target.generationId);
}

/** `patchbay catalog unpin`: the next sync activates what it builds again. */
export async function unpinCatalog(db: DbHandle): Promise<CatalogPin | undefined> {
  return storesOf(db).generations.unpin();
}

/** `patchbay catalog quarantine`: quarantined revisions with reason codes (optionally one reason). */
export async function listQuarantine(
  db: DbHandle,
  options: { reasonCode?: string; limit?: number } = {},
): Promise<QuarantineRecord[]> {
  return storesOf(db).quarantine.list({
    reasonCode: options.reasonCode,
    limit: options.limit ?? 1000,
  });
}

/** `patchbay sync history`. */
export async function syncHistory(db: DbHandle, limit = 50): Promise<SyncRunRecord[]> {
  return storesOf(db).syncRuns.list(limit);
}
