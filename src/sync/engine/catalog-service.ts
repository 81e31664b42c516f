import {
  createRepositories,
  type DbHandle,
  type GenerationRecord,
  type QuarantineRecord,
  type SyncRunRecord,
} from '../../storage/index.js';

export interface CatalogStatus {
  readonly active: GenerationRecord | undefined;
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
  const repos = createRepositories(db);
  const [active, recentGenerations, revisions, quarantinedRow, runs, ok, partial] = await Promise.all([
    repos.generations.getActive(),
    repos.generations.list(10),
    repos.revisions.count(),
    db.db
      .selectFrom('quarantine')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    repos.syncRuns.list(1),
    repos.syncRuns.lastWithOutcome('succeeded'),
    repos.syncRuns.lastWithOutcome('partial'),
  ]);
  const lastGood = [ok, partial].filter((r) => r !== undefined).sort((a, b) => b.syncRunId - a.syncRunId)[0];
  const staleAfter = options.staleAfterMs ?? 48 * 3600_000;
  const now = options.now ?? Date.now();
  return {
    active,
    recentGenerations,
    revisions,
    quarantined: Number(quarantinedRow.n),
    lastRun: runs[0],
    lastSuccessfulRun: lastGood,
    stale: lastGood === undefined || now - (lastGood.finishedAt ?? lastGood.startedAt) > staleAfter,
  };
}

/** `patchbay catalog rollback`: the previous generation becomes active again (atomically). */
export async function rollbackCatalog(db: DbHandle): Promise<GenerationRecord> {
  return createRepositories(db).generations.rollback();
}

/** `patchbay catalog quarantine`: quarantined revisions with reason codes (optionally one reason). */
export async function listQuarantine(
  db: DbHandle,
  options: { reasonCode?: string; limit?: number } = {},
): Promise<QuarantineRecord[]> {
  return createRepositories(db).quarantine.list({
    reasonCode: options.reasonCode,
    limit: options.limit ?? 1000,
  });
}

/** `patchbay sync history`. */
export async function syncHistory(db: DbHandle, limit = 50): Promise<SyncRunRecord[]> {
  return createRepositories(db).syncRuns.list(limit);
}
