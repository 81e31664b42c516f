/**
 * `patchbay cleanup` (issue 13 item 3; docs/administration.md "Server cleanup"): the one service the CLI, the
 * REST API (`POST /api/v1/cleanup`) and the scheduled job in `serve` call. Steps run in a fixed order, each
 * reported with rows, files, bytes and time; a dry run plans every step against what the earlier steps of the
 * same run would have removed, so it lists exactly what the real run removes.
 */
import { contentStatus } from '../content-sync/index.js';
import { AppError } from '../errors.js';
import {
  actorText,
  type AdminActor,
  type ApprovalsService,
  type ComputersAdminService,
  type SupersededDeclineService,
} from '../fleet/index.js';
import { createPacer, processHolder, withJobLease, type Pacer } from '../jobs/index.js';
import { createRepositories, type ContentStore, type DbHandle, type Repositories } from '../storage/index.js';
import { cleanFiles, finishJournal } from './file-cleanup.js';
import {
  cleanupSteps,
  type CleanupItem,
  type CleanupReport,
  type CleanupSettings,
  type CleanupStep,
  type CleanupStepReport,
  type StorageTotals,
} from './cleanup-types.js';

const dayMs = 86_400_000;
/** A revision or file row written within this long may belong to a sync still running: never removed. */
export const cleanupGraceMs = dayMs;
/**
 * Rows one transaction of a deleting step changes at most: each transaction is short (a scan waits for it on
 * SQLite's single connection) and complete on its own, so a kill -9 between two leaves a smaller catalog, never
 * a half-deleted one; the next run goes on from there.
 */
export const cleanupBatchSize = 500;
/** Lease names: our own, and the two jobs whose rows and files the steps change (src/sync, src/content-sync). */
export const cleanupLeaseName = 'cleanup';
const syncLeaseName = 'sync';
const contentLeaseName = 'content';
/** What a busy lease's error says the cleanup waits for. */
const leaseWhat: Record<string, string> = {
  [cleanupLeaseName]: 'a cleanup',
  [syncLeaseName]: 'a synchronization (cleanup waits for it to finish)',
  [contentLeaseName]: 'a content download (cleanup waits for it to finish)',
};

/** The author of the declines the cleanup makes for expired updates (audit actor `rule:decline-expired`). */
export const expiredRuleActor: AdminActor = { via: 'rule', name: 'decline-expired' };

export interface CleanupServiceDeps {
  readonly db: DbHandle;
  readonly store: ContentStore;
  readonly approvals: ApprovalsService;
  readonly computers: ComputersAdminService;
  readonly supersededDeclines: SupersededDeclineService;
  readonly settings: CleanupSettings;
}

export interface CleanupRunOptions {
  readonly dryRun?: boolean;
  /** Steps to run (default all), see parseCleanupSteps. */
  readonly only?: readonly CleanupStep[];
  readonly now?: number;
  readonly signal?: AbortSignal;
  /** Lease holder (default this process). */
  readonly nodeId?: string;
  /**
   * Test hook (the kill -9 test): awaited inside a destructive step after its first batch's database
   * transaction committed (in the files step: before the objects that batch forgot are deleted from the store).
   */
  readonly pauseAt?: (step: CleanupStep) => Promise<void>;
}

/** What the earlier steps of a run removed, so later steps (and the dry run) see the catalog as it will be. */
interface RunState {
  readonly removedRevisions: Set<number>;
  readonly declinedUpdates: Set<string>;
  /** Yields to the event loop between batches so the server keeps serving scans (src/jobs/pacer.ts). */
  readonly pace: Pacer;
  /** Called after each committed batch of a deleting step (the pauseAt hook, first batch only). */
  readonly committed: (step: CleanupStep) => Promise<void>;
}

export class CleanupService {
  readonly #repos: Repositories;

  constructor(private readonly deps: CleanupServiceDeps) {
    this.#repos = createRepositories(deps.db);
  }

  /**
   * Runs the cleanup (or plans it with `dryRun`). A real run holds the `cleanup` lease and the `sync` and
   * `content` leases, so no synchronization adds revisions and no download stores files meanwhile, and of
   * several nodes on one PostgreSQL only one cleans; a busy lease is PB_ERR_SYNC_BUSY (exit 75, HTTP 409).
   */
  async run(options: CleanupRunOptions, requestedBy: AdminActor): Promise<CleanupReport> {
    const dryRun = options.dryRun === true;
    if (dryRun) return this.execute(options, requestedBy, true);
    return this.withLeases(options, [cleanupLeaseName, syncLeaseName, contentLeaseName], (signal) =>
      this.execute({ ...options, signal }, requestedBy, false),
    );
  }

  /**
   * What `serve` does before serving: finishes the deletions an interrupted cleanup (kill -9, power loss)
   * committed in the database but left in the store (the journal, migration 0013), under the `cleanup` and
   * `content` leases. A busy lease is PB_ERR_SYNC_BUSY: another node is cleaning and finishes it itself.
   */
  async finishInterrupted(options: { nodeId?: string } = {}): Promise<{ files: number; bytes: number }> {
    return this.withLeases(options, [cleanupLeaseName, contentLeaseName], async () => {
      const r = await finishJournal(this.#repos, this.deps.store, false);
      return { files: r.files, bytes: r.bytes };
    });
  }

  /** Runs `fn` holding these leases, acquired in this order (a busy one is PB_ERR_SYNC_BUSY). */
  private withLeases<T>(
    options: { signal?: AbortSignal; nodeId?: string },
    names: readonly string[],
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const holder = options.nodeId ?? processHolder();
    const held: AbortSignal[] = [];
    const next = (i: number): Promise<T> => {
      if (i === names.length) return fn(AbortSignal.any(held));
      const name = names[i]!;
      return withJobLease(
        this.#repos.jobLeases,
        {
          name,
          holder,
          ttlMs: 10 * 60_000,
          what: leaseWhat[name] ?? name,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (signal) => {
          held.push(signal);
          return next(i + 1);
        },
      );
    };
    return next(0);
  }

  /** Rows, files and bytes a cleanup would reclaim now (`patchbay status`): the dry run's totals. */
  async estimate(now = Date.now()): Promise<{ rows: number; files: number; bytes: number }> {
    return (await this.run({ dryRun: true, now }, { via: 'system', name: 'status' })).total;
  }

  private async execute(
    options: CleanupRunOptions,
    requestedBy: AdminActor,
    dryRun: boolean,
  ): Promise<CleanupReport> {
    const startedAt = options.now ?? Date.now();
    const clock = performance.now();
    const only = new Set(options.only ?? cleanupSteps);
    const paused = new Set<CleanupStep>();
    const state: RunState = {
      removedRevisions: new Set(),
      declinedUpdates: new Set(),
      pace: createPacer(),
      committed: async (step) => {
        if (options.pauseAt === undefined || paused.has(step)) return;
        paused.add(step);
        await options.pauseAt(step);
      },
    };
    const before = await this.totals();
    const steps: CleanupStepReport[] = [];
    // The files step finishes an interrupted cleanup first; a run without it (--only) still does.
    if (!only.has('files')) {
      const t0 = performance.now();
      const r = await finishJournal(this.#repos, this.deps.store, dryRun);
      if (r.items.length > 0)
        steps.push({
          step: 'files',
          rows: 0,
          ...r,
          ms: Math.round(performance.now() - t0),
          skipped: 'not selected: only finished an interrupted cleanup',
        });
    }
    for (const step of cleanupSteps) {
      if (!only.has(step)) continue;
      options.signal?.throwIfAborted();
      const t0 = performance.now();
      const r = await this.step(step, { ...options, now: startedAt }, requestedBy, dryRun, state);
      steps.push({ step, ...r, ms: Math.round(performance.now() - t0) });
    }
    const total = steps.reduce(
      (a, s) => ({ rows: a.rows + s.rows, files: a.files + s.files, bytes: a.bytes + s.bytes }),
      { rows: 0, files: 0, bytes: 0 },
    );
    const after = dryRun ? undefined : await this.totals();
    return {
      dryRun,
      startedAt,
      ms: Math.round(performance.now() - clock),
      steps,
      total,
      before,
      ...(after ? { after } : {}),
    };
  }

  private async step(
    step: CleanupStep,
    o: CleanupRunOptions & { now: number },
    requestedBy: AdminActor,
    dryRun: boolean,
    state: RunState,
  ): Promise<Omit<CleanupStepReport, 'step' | 'ms'>> {
    const s = this.deps.settings;
    const none = (skipped: string) => ({ rows: 0, files: 0, bytes: 0, items: [], skipped });
    switch (step) {
      case 'revisions':
        return this.obsoleteRevisions(o, dryRun, state);
      case 'declines':
        return this.declines(o, requestedBy, dryRun, state);
      case 'files': {
        const r = await cleanFiles({
          repos: this.#repos,
          store: this.deps.store,
          mode: s.contentMode,
          unapprovedFileDays: s.unapprovedFileDays,
          graceCutoff: o.now - cleanupGraceMs,
          now: o.now,
          dryRun,
          removedRevisions: state.removedRevisions,
          declinedUpdates: state.declinedUpdates,
          pace: state.pace,
          beforeObjectDeletes: () => state.committed('files'),
        });
        return r;
      }
      case 'computers': {
        if (s.computerSilentDays === 0) return none('maintenance.cleanup_computer_silent_days is 0');
        const r = await this.deps.computers.removeStale(
          s.computerSilentDays,
          {
            dryRun,
            batchSize: cleanupBatchSize,
            pace: state.pace,
            onBatch: () => state.committed('computers'),
          },
          cleanupRuleActor,
          o.now,
        );
        return {
          rows: r.removed.length,
          files: 0,
          bytes: 0,
          items: r.removed.map((c) => ({
            kind: 'computer',
            id: c.computerId,
            detail: `${c.name ?? '(no name)'}: silent for ${s.computerSilentDays}+ days`,
          })),
        };
      }
      case 'events': {
        if (s.eventRetentionDays === 0) return none('clients.event_retention_days is 0');
        const cutoff = o.now - s.eventRetentionDays * dayMs;
        const { rows, bytes } = await this.#repos.cleanup.eventsReceivedBefore(cutoff);
        if (!dryRun) await pruneEvents(this.#repos, cutoff, state, o.signal);
        const items: CleanupItem[] =
          rows === 0
            ? []
            : [
                {
                  kind: 'events',
                  id: `received before ${new Date(cutoff).toISOString()}`,
                  detail: `${rows} raw event(s)`,
                  bytes,
                },
              ];
        return { rows, files: 0, bytes, items };
      }
      case 'generations': {
        const prunable = await this.#repos.cleanup.prunableGenerations(s.keepGenerations);
        if (!dryRun) for (const g of prunable) await this.pruneGeneration(g.generationId, state, o.signal);
        return {
          rows: prunable.reduce((n, g) => n + 1 + g.members, 0),
          files: 0,
          bytes: 0,
          items: prunable.map((g) => ({
            kind: 'generation',
            id: String(g.generationId),
            detail: `${g.state}, ${g.members} member(s), beyond the ${s.keepGenerations} kept for rollback`,
          })),
        };
      }
      case 'database':
        return this.databaseMaintenance(dryRun);
    }
  }

  private async obsoleteRevisions(
    o: CleanupRunOptions & { now: number },
    dryRun: boolean,
    state: RunState,
  ): Promise<Omit<CleanupStepReport, 'step' | 'ms'>> {
    const items: CleanupItem[] = [];
    let bytes = 0;
    for (let after = 0; ;) {
      o.signal?.throwIfAborted();
      await state.pace();
      const page = await this.#repos.cleanup.obsoleteRevisions(o.now - cleanupGraceMs, {
        afterRevisionId: after,
        limit: cleanupBatchSize,
      });
      if (page.length === 0) break;
      after = page.at(-1)!.revisionId;
      const deleted = dryRun
        ? new Set(page.map((r) => r.revisionId))
        : new Set(await this.#repos.cleanup.deleteRevisions(page.map((r) => r.revisionId)));
      if (!dryRun) await state.committed('revisions');
      for (const r of page) {
        if (!deleted.has(r.revisionId)) continue;
        state.removedRevisions.add(r.revisionId);
        bytes += r.bytes;
        items.push({
          kind: 'revision',
          id: `${r.updateId}/${r.revisionNumber}`,
          detail: `${r.title ?? '(no title)'}: in no stored catalog generation, not approved, needed by no computer`,
          bytes: r.bytes,
        });
      }
      if (page.length < cleanupBatchSize) break;
    }
    return { rows: items.length, files: 0, bytes, items };
  }

  /** Expired updates nobody approved, then superseded ones by the safe rule; each decline is audited. */
  private async declines(
    o: CleanupRunOptions & { now: number },
    requestedBy: AdminActor,
    dryRun: boolean,
    state: RunState,
  ): Promise<Omit<CleanupStepReport, 'step' | 'ms'>> {
    const items: CleanupItem[] = [];
    const expired: string[] = [];
    for (let after: string | undefined; ;) {
      await state.pace();
      const rows = await this.#repos.adminQueries.listUpdates({
        approval: 'unapproved',
        ...(after !== undefined ? { afterUpdateId: after } : {}),
        limit: cleanupBatchSize,
      });
      if (rows.length === 0) break;
      after = rows.at(-1)!.updateId;
      for (const u of rows)
        if (!u.isDeclined && u.approvalCount === 0 && (u.publicationState ?? '').toLowerCase() === 'expired')
          expired.push(u.updateId);
      if (rows.length < cleanupBatchSize) break;
    }
    // One transaction per batch (declines, cleared approvals, audit lines of those updates together).
    for (let i = 0; !dryRun && i < expired.length; i += cleanupBatchSize) {
      o.signal?.throwIfAborted();
      await state.pace();
      await this.deps.approvals.decline(
        {
          selection: { updateIds: expired.slice(i, i + cleanupBatchSize) },
          reason: `expired by the upstream and not approved; cleanup run by ${actorText(requestedBy)}`,
        },
        expiredRuleActor,
        o.now,
      );
      await state.committed('declines');
    }
    for (const u of expired) {
      state.declinedUpdates.add(u);
      items.push({ kind: 'decline', id: u, detail: 'expired, not approved' });
    }
    // A dry run plans the superseded rule before the expired declines exist; the real run has declined them.
    const plan = await this.deps.supersededDeclines.run({ dryRun, pace: state.pace }, requestedBy, o.now);
    for (const d of plan.declined) {
      if (state.declinedUpdates.has(d.updateId)) continue;
      state.declinedUpdates.add(d.updateId);
      items.push({
        kind: 'decline',
        id: d.updateId,
        detail: `superseded by ${d.replacedBy.join(', ')} for ${plan.minDays}+ days, needed by no computer`,
      });
    }
    return { rows: items.length, files: 0, bytes: 0, items };
  }

  /**
   * Deletes one finished generation in batches: first it becomes `abandoned` (no rollback can serve it again,
   * src/storage generation rules), then its members go a batch per transaction, then its row. A kill -9 in
   * between leaves an abandoned generation with fewer members, which no client sees and the next run removes.
   */
  private async pruneGeneration(generationId: number, state: RunState, signal?: AbortSignal): Promise<void> {
    const generations = this.#repos.generations;
    if (!(await generations.retireForPruning(generationId))) return;
    await state.committed('generations');
    for (;;) {
      signal?.throwIfAborted();
      await state.pace();
      const n = await generations.deleteMembersBatch(generationId, memberBatchSize);
      if (n < memberBatchSize) break;
    }
    await generations.deletePruned(generationId);
  }

  private async databaseMaintenance(dryRun: boolean): Promise<Omit<CleanupStepReport, 'step' | 'ms'>> {
    const statements = await this.#repos.cleanup.maintenancePlan();
    const items: CleanupItem[] = statements.map((s) => ({
      kind: 'statement',
      id: s,
      detail: 'database maintenance',
    }));
    if (dryRun) return { rows: 0, files: 0, bytes: 0, items };
    const before = (await this.#repos.databaseSize.size()).bytes;
    for (const s of statements) await this.#repos.cleanup.runMaintenance(s);
    const after = (await this.#repos.databaseSize.size()).bytes;
    return { rows: 0, files: 0, bytes: Math.max(0, before - after), items };
  }

  private async totals(): Promise<StorageTotals> {
    const [size, content] = await Promise.all([this.#repos.databaseSize.size(), contentStatus(this.deps.db)]);
    return {
      databaseBytes: size.bytes,
      contentFiles: content.states.verified.files,
      contentBytes: content.states.verified.bytes,
    };
  }
}

/** Member rows are two integers (no cascade): larger batches stay as short as the others. */
const memberBatchSize = 5_000;

/** The author the audit names for the computers the cleanup removes (`rule:cleanup`). */
const cleanupRuleActor: AdminActor = { via: 'rule', name: 'cleanup' };

async function pruneEvents(
  repos: Repositories,
  before: number,
  state: RunState,
  signal?: AbortSignal,
): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    await state.pace();
    const n = await repos.clientEvents.deleteReceivedBefore(before, eventBatchSize);
    if (n === 0) return;
    await state.committed('events');
    if (n < eventBatchSize) return;
  }
}

/** Raw events are one narrow row each (no cascade): a larger batch is as short as the others' 500. */
const eventBatchSize = 2_000;

/** Guards the numbers a caller (REST, CLI) passes through to the rules. */
export function requireCleanupSettings(s: CleanupSettings): CleanupSettings {
  for (const [k, v] of Object.entries(s))
    if (typeof v === 'number' && (!Number.isInteger(v) || v < 0))
      throw new AppError('PB_ERR_CONFIG_INVALID', `cleanup setting ${k} must be a non-negative integer`);
  if (s.keepGenerations < 1)
    throw new AppError('PB_ERR_CONFIG_INVALID', 'keep at least one generation for rollback');
  return s;
}
