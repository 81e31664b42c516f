import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { UpdateId, UpdateIdentity } from '../../domain/index.js';
import { AppError, isAppError, toAppError } from '../../errors.js';
import { acquireLease, processHolder } from '../../jobs/job-lease.js';
import {
  defaultServerSyncLimits,
  type ServerSyncConfigData,
  type ServerSyncLimits,
  type ServerSyncUpdateData,
} from '../../protocol/server-sync/index.js';
import type { CategoryType } from '../../protocol/update-xml/index.js';
import {
  createRepositories,
  type DbHandle,
  type QuarantineInput,
  type QuarantineRecord,
} from '../../storage/index.js';
import { computeClosure, type GraphRevision } from './closure.js';
import { closureReasons, prepareRevision, type Prepared, type QuarantineReason } from './prepare-revision.js';
import { getSelection, listCategories, resolveSelection, type SyncSelection } from './selection.js';
import { isFault, ServerSyncClient, type SoapPoster } from './server-sync-client.js';

export type SyncPhase =
  'auth' | 'config' | 'categories' | 'updates' | 'closure' | 'validate' | 'activate' | 'done';

/** Progress for the CLI bar: cumulative counters of the run and the phase's total when known. */
export interface SyncProgress {
  readonly phase: SyncPhase;
  readonly counters: Readonly<Record<string, number>>;
  /** Revisions the current phase has to fetch. */
  readonly phaseTotal: number;
}

export interface SyncDeps {
  readonly db: DbHandle;
  readonly transport: SoapPoster;
  readonly logger?: Logger;
  /** Clock for cookie renewal and quarantine backoff (tests inject one). */
  readonly now?: () => number;
}

export interface SyncOptions {
  /** ServerSync URL of the upstream (default Microsoft Update, from the `[upstream]` config). */
  readonly upstreamUrl: string;
  readonly triggerSource?: string;
  /** Lease holder (default processHolder(): host and pid); a dead process's lease on this host is taken over. */
  readonly nodeId?: string;
  /** Used until the admin stored a selection (the `[selection]` config section). */
  readonly defaultSelection?: SyncSelection;
  /** Cap below the upstream's MaxNumberOfUpdatesPerRequest (never above it). */
  readonly maxUpdatesPerRequest?: number;
  readonly limits?: ServerSyncLimits;
  readonly protocolVersion?: string;
  readonly accountName?: string;
  readonly accountGuid?: string;
  /** `all` queues every imported file for download; `approved` leaves it to approvals; `none` never. */
  readonly contentMode?: 'approved' | 'all' | 'none';
  /** Quarantine retry backoff: base * 2^retries, capped. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly leaseTtlMs?: number;
  readonly onProgress?: (p: SyncProgress) => void;
  /** Test hook: awaited after every committed GetUpdateData batch. */
  readonly afterBatch?: () => void | Promise<void>;
}

export interface SyncResult {
  readonly syncRunId: number;
  readonly outcome: 'succeeded' | 'partial';
  /** The active generation after the run (unchanged when the catalog did not change). */
  readonly generationId: number | null;
  readonly generationChanged: boolean;
  /** Set when `catalog rollback` pinned the catalog and this run's changes were not activated. */
  readonly pinnedGenerationId: number | null;
  /** What the run did not do and why, as history shows it ("not activated: catalog pinned to generation N"). */
  readonly note: string | null;
  readonly counters: Readonly<Record<string, number>>;
  /** Upstream calls per operation. */
  readonly calls: Readonly<Record<string, number>>;
  /** Revision ids this run stored (committed batches), for the automatic approval rules. */
  readonly importedRevisionIds: readonly number[];
}

const upstreamConfigKey = 'sync.upstreamConfig';
/** Single ids in a row whose answer is unreadable before the upstream itself is deemed broken. */
const maxProtocolErrorStreak = 4;
const leaseName = 'sync';

interface StoredUpstreamConfig {
  readonly maxUpdatesPerRequest: number;
  readonly languages: ServerSyncConfigData['languages'];
  readonly protocolVersion: string;
}

const key = (u: string, r: number) => `${u}/${r}`;

/**
 * One synchronization run from an MS-WSUSSS upstream (docs/protocol/server-sync.md §2.2, docs/protocol/update-xml.md §3.7): auth, config, categories
 * (GetConfig=true, deduplicated, highest revision kept), the product AND classification list (Delta iff an
 * anchor is sent), GetUpdateData in batches within the upstream's limit (partial answers re-requested, a
 * whole-call fault bisected down to the one bad id), the closure (bundle members, prerequisites and categories
 * the listings name), then validation and an atomic switch to a new catalog generation.
 *
 * Crash safety: every batch commits on its own (revisions, quarantine entries, run counters); revisions already
 * held are never fetched again, so a restarted run resumes from the last committed batch; anchors are stored as
 * pending and promoted only after their phase committed; the generation is staged invisibly and activated in
 * one transaction, and a staged generation left by a crash is abandoned by the next run.
 *
 * Throws AppError after recording the run as failed; the previous generation keeps serving.
 */
export async function runSync(deps: SyncDeps, options: SyncOptions): Promise<SyncResult> {
  const { db } = deps;
  const log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'sync' });
  const now = deps.now ?? Date.now;
  const repos = createRepositories(db);
  const nodeId = options.nodeId ?? processHolder();
  const leaseTtl = options.leaseTtlMs ?? 15 * 60_000;
  // Refused before a run is recorded: a refused attempt is not a run and touches nothing in history.
  const lease = await acquireLease(repos.jobLeases, {
    name: leaseName,
    holder: nodeId,
    ttlMs: leaseTtl,
    what: 'another synchronization',
  });

  // We hold the sync lease: any metadata run still marked running died with its process. Content runs have
  // their own lease and may be running right now on another process.
  for (const r of await repos.syncRuns.list(20))
    if (r.outcome === 'running' && r.kind === 'metadata')
      await repos.syncRuns.finish(r.syncRunId, {
        outcome: 'cancelled',
        error: {
          code: 'PB_ERR_INTERNAL',
          message: 'the process ended during the run (resumed by a later run)',
        },
      });
  for (const g of await repos.generations.list(200))
    if (g.state === 'staged') await repos.generations.abandon(g.generationId);

  const run = await repos.syncRuns.start({
    kind: 'metadata',
    triggerSource: options.triggerSource ?? 'manual',
    nodeId,
  });
  const engine = new SyncRun(
    deps,
    options,
    log.child({ syncRunId: run.syncRunId }),
    now,
    run.syncRunId,
    lease.holder,
  );
  try {
    const result = await engine.execute();
    await repos.syncRuns.finish(run.syncRunId, {
      outcome: result.outcome,
      generationId: result.generationId ?? undefined,
      ...(result.note !== null ? { note: result.note } : {}),
    });
    return result;
  } catch (e) {
    const err = toAppError(e);
    log.error(
      { err, syncRunId: run.syncRunId },
      'synchronization failed; the previous catalog generation keeps serving',
    );
    await repos.syncRuns
      .finish(run.syncRunId, {
        outcome: 'failed',
        error: { code: err.code, message: err.message, detail: err.detail },
      })
      .catch(() => undefined);
    throw err;
  } finally {
    await repos.jobLeases.release(leaseName, lease.holder).catch(() => undefined);
  }
}

class SyncRun {
  readonly #deps: SyncDeps;
  readonly #o: SyncOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #runId: number;
  /** The sync lease's holder (this run's own), for renewals. */
  readonly #leaseHolder: string;
  readonly #limits: ServerSyncLimits;
  readonly #client: ServerSyncClient;
  readonly counters: Record<string, number> = {
    categoriesListed: 0,
    revisionsListed: 0,
    revisionsFetched: 0,
    revisionsImported: 0,
    revisionsQuarantined: 0,
    revisionsReleased: 0,
    rollbacksRejected: 0,
  };
  #phase: SyncPhase = 'auth';
  #phaseTotal = 0;
  #batchSize = 100;
  /** Highest held revision per update id, and every held identity. */
  readonly #heldMax = new Map<string, number>();
  readonly #held = new Set<string>();
  readonly #quarantine = new Map<string, QuarantineRecord>();
  /** Highest listed revision per update id in this run (closure resolution of prerequisite ids). */
  readonly #listed = new Map<string, number>();
  readonly #categoryTypes = new Map<string, CategoryType | null>();
  #quarantinedThisRun = 0;
  #leaseRenewedAt = 0;
  #protocolErrorStreak = 0;
  readonly #importedRevisionIds: number[] = [];

  constructor(
    deps: SyncDeps,
    o: SyncOptions,
    log: Logger,
    now: () => number,
    runId: number,
    leaseHolder: string,
  ) {
    this.#deps = deps;
    this.#o = o;
    this.#log = log;
    this.#now = now;
    this.#runId = runId;
    this.#leaseHolder = leaseHolder;
    this.#limits = o.limits ?? defaultServerSyncLimits;
    this.#client = new ServerSyncClient({
      transport: deps.transport,
      url: o.upstreamUrl,
      accountName: o.accountName,
      accountGuid: o.accountGuid,
      protocolVersion: o.protocolVersion,
      limits: this.#limits,
      now,
      logger: log,
    });
  }

  #progress(phase?: SyncPhase, total?: number): void {
    if (phase !== undefined) this.#phase = phase;
    if (total !== undefined) this.#phaseTotal = total;
    this.#o.onProgress?.({
      phase: this.#phase,
      counters: { ...this.counters },
      phaseTotal: this.#phaseTotal,
    });
  }

  get #repos() {
    return createRepositories(this.#deps.db);
  }

  async execute(): Promise<SyncResult> {
    try {
      return await this.#execute();
    } catch (e) {
      if (isFault(e, 'ServerChanged')) {
        // docs/protocol/server-sync.md §2.1: the upstream's identity changed; every anchor is void.
        this.#log.warn('upstream reported ServerChanged: anchors reset, the next run lists everything');
        for (const scope of ['config', 'categories', await this.#updatesScope()])
          await this.#repos.anchors.reset(scope);
      }
      throw e;
    }
  }

  async #execute(): Promise<SyncResult> {
    await this.#loadState();
    this.#progress('auth');
    await this.#client.authenticate();

    // Config: limits and languages from the upstream (never hard-coded).
    this.#progress('config');
    const upstreamConfig = await this.#config();
    this.#batchSize = Math.max(
      1,
      Math.min(upstreamConfig.maxUpdatesPerRequest || 100, this.#o.maxUpdatesPerRequest ?? Infinity),
    );

    // Categories, classifications, detectoids: unfiltered GetConfig=true.
    this.#progress('categories');
    const catAnchor = await this.#repos.anchors.get('categories');
    const cats = await this.#client.getRevisionIdList({
      anchor: catAnchor?.anchor ?? undefined,
      getConfig: true,
      get63LanguageOnly: false,
      categories: undefined,
      classifications: undefined,
      languages: undefined,
    });
    const catWanted = this.#plan(cats.revisions, 'categoriesListed');
    if (cats.anchor) await this.#repos.anchors.setPending('categories', cats.anchor, this.#runId);
    await this.#fetchAll(catWanted, 'categories');
    if (cats.anchor) await this.#repos.anchors.promote('categories');

    // Updates: products AND classifications from the selection; Delta exactly when an anchor is sent.
    const scope = await this.#updatesScope();
    const selection = await this.#resolvedSelection();
    if (selection.products.length === 0 || selection.classifications.length === 0) {
      // One list alone selects nothing upstream, and neither list would select everything: never send those.
      this.#log.warn(
        { unresolved: selection.unresolved },
        'selection has no product or no classification; updates skipped',
      );
    } else {
      this.#progress('updates');
      const anchor = (await this.#repos.anchors.get(scope))?.anchor ?? undefined;
      const delta = anchor !== undefined;
      const languages = this.#languageFilter(upstreamConfig, selection.languages, delta);
      const list = await this.#client.getRevisionIdList({
        anchor,
        getConfig: false,
        get63LanguageOnly: false,
        categories: selection.products.map((id) => ({ id: id as UpdateId, delta })),
        classifications: selection.classifications.map((id) => ({ id: id as UpdateId, delta })),
        languages,
      });
      const wanted = this.#plan(list.revisions, 'revisionsListed');
      if (list.anchor) await this.#repos.anchors.setPending(scope, list.anchor, this.#runId);
      await this.#fetchAll(wanted, 'updates');
      await this.#closureFetch();
      if (list.anchor) await this.#repos.anchors.promote(scope);
    }

    // Quarantined revisions whose retry time has come (listed again or not).
    const due = [...this.#quarantine.values()].filter(
      (q) =>
        !closureReasons.has(q.reasonCode) &&
        q.reasonCode !== 'revision_rollback' &&
        q.nextRetryAt !== null &&
        q.nextRetryAt <= this.#now() &&
        !this.#held.has(key(q.updateId, q.revisionNumber)),
    );
    if (due.length > 0)
      await this.#fetchAll(
        due.map((q) => ({ updateId: q.updateId as UpdateId, revisionNumber: q.revisionNumber })),
        'updates',
      );
    await this.#closureFetch();

    const { generationId, changed, pinned } = await this.#validateAndActivate();
    this.#progress('done');
    return {
      syncRunId: this.#runId,
      outcome: this.#quarantinedThisRun > 0 ? 'partial' : 'succeeded',
      generationId,
      generationChanged: changed,
      pinnedGenerationId: pinned?.generationId ?? null,
      note:
        pinned === undefined
          ? null
          : `not activated: catalog pinned to generation ${pinned.generationId} ` +
            `(${pinned.added} revisions added or changed, ${pinned.removed} removed are held back; patchbay catalog unpin)`,
      counters: { ...this.counters },
      calls: { ...this.#client.calls },
      importedRevisionIds: [...this.#importedRevisionIds],
    };
  }

  async #loadState(): Promise<void> {
    const db = this.#deps.db.db;
    for (const r of await db.selectFrom('revisions').select(['update_id', 'revision_number']).execute()) {
      this.#held.add(key(r.update_id, r.revision_number));
      if ((this.#heldMax.get(r.update_id) ?? -1) < r.revision_number)
        this.#heldMax.set(r.update_id, r.revision_number);
    }
    for (const q of await this.#repos.quarantine.list({ limit: 10_000_000 }))
      this.#quarantine.set(key(q.updateId, q.revisionNumber), q);
    for (const c of await db.selectFrom('categories').select(['update_id', 'category_type']).execute())
      this.#categoryTypes.set(c.update_id, (c.category_type as CategoryType | null) ?? null);
  }

  async #config(): Promise<StoredUpstreamConfig> {
    const repos = this.#repos;
    const anchor = (await repos.anchors.get('config'))?.anchor ?? undefined;
    const stored = await repos.settings.get<StoredUpstreamConfig>(upstreamConfigKey);
    // Without stored languages the anchor is useless: the upstream omits the list when the anchor is current.
    const cfg = await this.#client.getConfigData(stored?.languages.length ? anchor : undefined);
    const value: StoredUpstreamConfig = {
      maxUpdatesPerRequest: cfg.maxNumberOfUpdatesPerRequest,
      languages: cfg.languages.length > 0 ? cfg.languages : (stored?.languages ?? []),
      protocolVersion: cfg.protocolVersion,
    };
    if (cfg.newConfigAnchor) await repos.anchors.setPending('config', cfg.newConfigAnchor, this.#runId);
    await repos.settings.set(upstreamConfigKey, value, 'sync');
    if (cfg.newConfigAnchor) await repos.anchors.promote('config');
    return value;
  }

  #languageFilter(cfg: StoredUpstreamConfig, languages: readonly string[], delta: boolean) {
    const wanted = new Set(languages.map((l) => l.toLowerCase()));
    const ids = cfg.languages
      .filter((l) => l.languageId !== 0 && wanted.has(l.shortLanguage.toLowerCase()))
      .map((l) => l.languageId);
    return ids.length === 0 ? undefined : ids.map((id) => ({ id, delta }));
  }

  async #resolvedSelection() {
    const sel = await getSelection(this.#deps.db, this.#o.defaultSelection);
    const r = resolveSelection(sel, await listCategories(this.#deps.db));
    return { ...r, languages: sel.languages };
  }

  /** A stable anchor scope per filter: a new selection starts from no anchor (a full list for it). */
  async #updatesScope(): Promise<string> {
    const sel = await this.#resolvedSelection();
    const h = createHash('sha256')
      .update(JSON.stringify([sel.products, sel.classifications, [...sel.languages].sort()]))
      .digest('hex');
    return `updates:${h.slice(0, 16)}`;
  }

  /**
   * From a listing to what must be fetched: the highest revision per id (REAL lists carry revisions 1 and 100
   * of one category), minus what is held, minus quarantined revisions not yet due for retry. A listed revision
   * lower than one already held is a rollback attempt (R6): refused, logged and recorded in quarantine.
   */
  #plan(listed: readonly UpdateIdentity[], counter: string): UpdateIdentity[] {
    const best = new Map<string, number>();
    for (const i of listed)
      if ((best.get(i.updateId) ?? -1) < i.revisionNumber) best.set(i.updateId, i.revisionNumber);
    this.counters[counter] = (this.counters[counter] ?? 0) + best.size;
    const out: UpdateIdentity[] = [];
    const rollbacks: UpdateIdentity[] = [];
    for (const [u, rev] of best) {
      if ((this.#listed.get(u) ?? -1) < rev) this.#listed.set(u, rev);
      const held = this.#heldMax.get(u);
      if (held === rev) continue;
      if (held !== undefined && held > rev) {
        rollbacks.push({ updateId: u as UpdateId, revisionNumber: rev });
        continue;
      }
      const q = this.#quarantine.get(key(u, rev));
      if (q && (q.nextRetryAt === null || q.nextRetryAt > this.#now())) continue;
      out.push({ updateId: u as UpdateId, revisionNumber: rev });
    }
    if (rollbacks.length > 0) {
      const fresh = rollbacks.filter((r) => !this.#quarantine.has(key(r.updateId, r.revisionNumber)));
      this.#log.warn(
        { count: rollbacks.length, sample: rollbacks.slice(0, 5) },
        'upstream offered lower revisions than held (rollback attempt): refused',
      );
      this.counters.rollbacksRejected! += rollbacks.length;
      this.#pendingRollbacks.push(...fresh);
    }
    return out;
  }

  readonly #pendingRollbacks: UpdateIdentity[] = [];

  async #fetchAll(ids: readonly UpdateIdentity[], phase: SyncPhase): Promise<void> {
    this.#progress(phase, ids.length);
    if (this.#pendingRollbacks.length > 0) {
      const entries = this.#pendingRollbacks.splice(0).map((r) => ({
        updateId: r.updateId,
        revisionNumber: r.revisionNumber,
        reason: 'revision_rollback' as const,
        detail: `a higher revision (${this.#heldMax.get(r.updateId)}) is already held`,
      }));
      await this.#commit([], entries, {});
    }
    for (let i = 0; i < ids.length; i += this.#batchSize)
      await this.#fetchBatch(ids.slice(i, i + this.#batchSize));
  }

  /**
   * One batch: re-requests whatever a partial answer left out (fails only when a request returns nothing),
   * and bisects a whole-call fault (REAL: one unknown id faults the whole call with InternalServerError) down
   * to the single id that causes it, which is quarantined.
   */
  async #fetchBatch(batch: readonly UpdateIdentity[]): Promise<void> {
    let pending = batch;
    while (pending.length > 0) {
      let result;
      try {
        result = await this.#client.getUpdateData(pending);
      } catch (e) {
        if (!isFault(e, 'InternalServerError', 'InvalidParameters') && !isBlobLevelProtocolError(e)) throw e;
        if (pending.length === 1) {
          const one = pending[0]!;
          // Unreadable answers for id after id, with nothing readable in between, is a broken upstream (an
          // HTML error page with status 200, a proxy mangling bodies), not bad revisions: fail the run instead
          // of quarantining the whole catalog.
          if (isBlobLevelProtocolError(e) && ++this.#protocolErrorStreak > maxProtocolErrorStreak) throw e;
          this.#log.warn(
            { identity: one, err: toAppError(e).message },
            'upstream faults on this id alone: quarantined',
          );
          await this.#commit([], [{ ...one, reason: 'upstream_fault', detail: toAppError(e).message }], {
            revisionsFetched: 0,
          });
          return;
        }
        const mid = Math.ceil(pending.length / 2);
        await this.#fetchBatch(pending.slice(0, mid));
        await this.#fetchBatch(pending.slice(mid));
        return;
      }
      this.#protocolErrorStreak = 0;
      const wanted = new Map(pending.map((p) => [key(p.updateId, p.revisionNumber), p]));
      const got: ServerSyncUpdateData[] = [];
      for (const u of result.updates) {
        const k = key(u.identity.updateId, u.identity.revisionNumber);
        if (!wanted.has(k)) continue; // unrequested or duplicate: ignored
        wanted.delete(k);
        got.push(u);
      }
      if (got.length === 0)
        throw new AppError(
          'PB_ERR_SYNC_INCOMPLETE',
          `upstream returned none of the ${pending.length} requested updates`,
          {
            detail: { requested: pending.length, unattributable: result.unattributable },
          },
        );
      const muUrls = new Map(
        result.fileUrls.filter((f) => f.muUrl !== '').map((f) => [f.fileDigest, f.muUrl]),
      );
      const prepared = got.map((u) => prepareRevision(u, muUrls, this.#categoryTypes, this.#limits));
      const ok = prepared.filter((p): p is Extract<Prepared, { ok: true }> => p.ok);
      const bad = prepared
        .filter((p): p is Extract<Prepared, { ok: false }> => !p.ok)
        .map((p) => ({ ...p.identity, reason: p.reason, detail: p.detail }));
      await this.#commit(ok, bad, { revisionsFetched: got.length });
      if (wanted.size > 0)
        this.#log.info({ missing: wanted.size }, 'partial GetUpdateData answer; re-requesting the rest');
      pending = [...wanted.values()];
    }
  }

  /** One transaction per batch: revisions, quarantine entries, released entries, run counters. */
  async #commit(
    ok: readonly Extract<Prepared, { ok: true }>[],
    bad: readonly { updateId: string; revisionNumber: number; reason: QuarantineReason; detail: string }[],
    counters: Record<string, number>,
  ): Promise<void> {
    const now = this.#now();
    const base = this.#o.retryBaseMs ?? 60 * 60_000;
    const max = this.#o.retryMaxMs ?? 7 * 24 * 60 * 60_000;
    const quarantineEntries = bad.map((b) => {
      const prev = this.#quarantine.get(key(b.updateId, b.revisionNumber));
      const retries = prev === undefined ? 0 : prev.retryCount + 1;
      return {
        updateId: b.updateId,
        revisionNumber: b.revisionNumber,
        reasonCode: b.reason,
        detail: b.detail,
        syncRunId: this.#runId,
        // A rollback is never retried: only a higher revision can replace what is held.
        nextRetryAt:
          b.reason === 'revision_rollback' ? null : now + Math.min(max, base * 2 ** Math.min(retries, 30)),
      };
    });
    const released = ok
      .filter((p) => this.#quarantine.has(key(p.identity.updateId, p.identity.revisionNumber)))
      .map((p) => p.identity);
    const delta = {
      ...counters,
      revisionsImported: ok.length,
      revisionsQuarantined: quarantineEntries.length,
      revisionsReleased: released.length,
    };
    const sha1s = this.#o.contentMode === 'all' ? ok.flatMap((p) => p.facts.fileSha1s) : [];
    let imported: number[] = [];
    await this.#deps.db.transaction(async (trx) => {
      const r = createRepositories({ db: trx, dialect: this.#deps.db.dialect });
      if (ok.length > 0)
        imported = await r.revisions.upsertMany(
          ok.map((p) => p.input),
          now,
        );
      if (quarantineEntries.length > 0) await r.quarantine.add(quarantineEntries, now);
      if (released.length > 0) await r.quarantine.clear(released);
      if (sha1s.length > 0) {
        // Content seam: files stay `absent` unless the mode asks for everything; the downloader takes `queued`.
        const absent = await trx
          .selectFrom('files')
          .select('sha1')
          .where('sha1', 'in', sha1s)
          .where('content_state', '=', 'absent')
          .execute();
        if (absent.length > 0)
          await r.files.setState(
            absent.map((a) => a.sha1),
            'queued',
            null,
            now,
          );
      }
      await r.syncRuns.addCounters(this.#runId, delta, now);
    });
    this.#importedRevisionIds.push(...imported);
    // Renew the lease well before it lapses, not on every batch (one write per minute is plenty).
    if (Date.now() - this.#leaseRenewedAt > 60_000) {
      const renewed = await this.#repos.jobLeases.acquire(
        leaseName,
        this.#leaseHolder,
        this.#o.leaseTtlMs ?? 15 * 60_000,
      );
      // Expired while we stalled and taken by another run: stop before writing anchors or a generation.
      if (renewed === undefined)
        throw new AppError('PB_ERR_SYNC_BUSY', 'the sync lease expired and another synchronization took it');
      this.#leaseRenewedAt = Date.now();
    }
    for (const p of ok) {
      const { updateId, revisionNumber } = p.identity;
      this.#held.add(key(updateId, revisionNumber));
      if ((this.#heldMax.get(updateId) ?? -1) < revisionNumber) this.#heldMax.set(updateId, revisionNumber);
      this.#quarantine.delete(key(updateId, revisionNumber));
      if (p.facts.updateType === 'Category') this.#categoryTypes.set(updateId, p.facts.categoryType);
    }
    for (const q of quarantineEntries) {
      const prev = this.#quarantine.get(key(q.updateId, q.revisionNumber));
      this.#quarantine.set(key(q.updateId, q.revisionNumber), {
        ...q,
        revisionId: null,
        detail: q.detail,
        causedByUpdateId: null,
        firstSeenAt: prev?.firstSeenAt ?? now,
        lastSeenAt: now,
        retryCount: prev === undefined ? 0 : prev.retryCount + 1,
      });
    }
    this.#quarantinedThisRun += quarantineEntries.length;
    for (const [k, v] of Object.entries(delta)) this.counters[k] = (this.counters[k] ?? 0) + v;
    this.#progress();
    await this.#o.afterBatch?.();
  }

  /**
   * The closure (docs/protocol/update-xml.md §3.7 step 3): bundled children (exact identities) and prerequisite/category ids
   * that a listing of this run resolves to a revision, fetched until nothing new is referenced.
   */
  async #closureFetch(): Promise<void> {
    const db = this.#deps.db.db;
    for (let round = 0; round < 32; round++) {
      const need = new Map<string, UpdateIdentity>();
      const consider = (u: string, rev: number) => {
        const k = key(u, rev);
        if (this.#held.has(k) || need.has(k)) return;
        const q = this.#quarantine.get(k);
        if (q && (q.nextRetryAt === null || q.nextRetryAt > this.#now())) return;
        need.set(k, { updateId: u as UpdateId, revisionNumber: rev });
      };
      for (const b of await db
        .selectFrom('revision_bundles')
        .select(['update_id', 'revision_number'])
        .distinct()
        .execute())
        consider(b.update_id, b.revision_number);
      for (const p of await db
        .selectFrom('revision_prerequisites')
        .select('update_id')
        .distinct()
        .execute()) {
        if (this.#heldMax.has(p.update_id)) continue;
        const rev = this.#listed.get(p.update_id);
        if (rev !== undefined) consider(p.update_id, rev);
      }
      if (need.size === 0) return;
      await this.#fetchAll([...need.values()], 'closure');
    }
  }

  async #validateAndActivate(): Promise<{
    generationId: number | null;
    changed: boolean;
    pinned?: { generationId: number; added: number; removed: number };
  }> {
    this.#progress('validate');
    const db = this.#deps.db.db;
    const revs = await db
      .selectFrom('revisions')
      .select(['revision_id', 'update_id', 'revision_number'])
      .execute();
    const prereqs = await db
      .selectFrom('revision_prerequisites')
      .select(['revision_id', 'clause_index', 'update_id'])
      .execute();
    const bundles = await db
      .selectFrom('revision_bundles')
      .select(['revision_id', 'group_index', 'update_id', 'revision_number'])
      .execute();
    const clauses = new Map<number, string[][]>();
    for (const p of prereqs) {
      let l = clauses.get(p.revision_id);
      if (!l) clauses.set(p.revision_id, (l = []));
      (l[p.clause_index] ??= []).push(p.update_id);
    }
    const groups = new Map<number, string[][]>();
    for (const b of bundles) {
      let l = groups.get(b.revision_id);
      if (!l) groups.set(b.revision_id, (l = []));
      (l[b.group_index] ??= []).push(key(b.update_id, b.revision_number));
    }
    // Held revisions an operator or a document check quarantined stay out; closure verdicts are recomputed.
    const excluded = new Set(
      [...this.#quarantine.values()]
        .filter((q) => !closureReasons.has(q.reasonCode))
        .map((q) => key(q.updateId, q.revisionNumber)),
    );
    const graph: GraphRevision[] = revs
      .filter((r) => !excluded.has(key(r.update_id, r.revision_number)))
      .map((r) => ({
        revisionId: r.revision_id,
        updateId: r.update_id,
        revisionNumber: r.revision_number,
        prerequisites: (clauses.get(r.revision_id) ?? []).filter((c) => c !== undefined),
        bundled: (groups.get(r.revision_id) ?? []).filter((g) => g !== undefined),
      }));
    const { members, invalid } = computeClosure(graph);
    const byId = new Map(revs.map((r) => [r.revision_id, r]));

    // Closure quarantine: add new verdicts, release the ones that now pass; unchanged entries stay untouched.
    const toAdd: QuarantineInput[] = [];
    for (const [revisionId, v] of invalid) {
      const r = byId.get(revisionId)!;
      const prev = this.#quarantine.get(key(r.update_id, r.revision_number));
      if (prev && prev.reasonCode === v.reason) continue;
      toAdd.push({
        updateId: r.update_id,
        revisionNumber: r.revision_number,
        revisionId,
        reasonCode: v.reason,
        detail: v.detail,
        causedByUpdateId: v.causedByUpdateId,
        syncRunId: this.#runId,
        nextRetryAt: null,
      });
    }
    const invalidKeys = new Set(
      [...invalid.keys()].map((id) => key(byId.get(id)!.update_id, byId.get(id)!.revision_number)),
    );
    const toClear = [...this.#quarantine.values()]
      .filter((q) => closureReasons.has(q.reasonCode) && !invalidKeys.has(key(q.updateId, q.revisionNumber)))
      .map((q) => ({ updateId: q.updateId, revisionNumber: q.revisionNumber }));
    if (toAdd.length > 0 || toClear.length > 0) {
      if (toAdd.length > 0)
        this.#log.warn(
          { count: toAdd.length, sample: toAdd.slice(0, 5).map((a) => [a.updateId, a.reasonCode]) },
          'revisions quarantined by the closure check',
        );
      await this.#deps.db.transaction(async (trx) => {
        const r = createRepositories({ db: trx, dialect: this.#deps.db.dialect });
        if (toAdd.length > 0) await r.quarantine.add(toAdd);
        if (toClear.length > 0) await r.quarantine.clear(toClear);
        await r.syncRuns.addCounters(this.#runId, {
          revisionsQuarantined: toAdd.length,
          revisionsReleased: toClear.length,
        });
      });
      this.counters.revisionsQuarantined! += toAdd.length;
      this.counters.revisionsReleased! += toClear.length;
      this.#quarantinedThisRun += toAdd.length;
    }

    // Stage only when the member set changed: an unchanged re-sync adds nothing.
    this.#progress('activate');
    const repos = this.#repos;
    const active = await repos.generations.getActive();
    const current = new Map<number, { isLeaf: boolean; isBundleMember: boolean }>();
    if (active)
      for (let after = 0; ;) {
        const page = await repos.generations.listMembers(active.generationId, {
          afterRevisionId: after,
          limit: 10_000,
        });
        for (const m of page)
          current.set(m.revisionId, { isLeaf: m.isLeaf, isBundleMember: m.isBundleMember });
        if (page.length < 10_000) break;
        after = page[page.length - 1]!.revisionId;
      }
    const removed = [...current.keys()].filter((id) => !members.has(id));
    const upserts = [...members]
      .filter(([id, f]) => {
        const c = current.get(id);
        return c === undefined || c.isLeaf !== f.isLeaf || c.isBundleMember !== f.isBundleMember;
      })
      .map(([revisionId, f]) => ({ revisionId, ...f }));
    if (active && removed.length === 0 && upserts.length === 0)
      return { generationId: active.generationId, changed: false };
    if (!active && members.size === 0) return { generationId: null, changed: false };
    // `catalog rollback` pinned what clients get: the run's work is kept (revisions, quarantine, anchors),
    // only the switch waits for `catalog unpin`; the next sync after it builds and activates the catalog.
    const pinnedResult = (generationId: number) => {
      this.#log.warn(
        { pinnedGenerationId: generationId, added: upserts.length, removed: removed.length },
        'catalog pinned by catalog rollback: the synchronized catalog is not activated',
      );
      return {
        generationId: active?.generationId ?? null,
        changed: false,
        pinned: { generationId, added: upserts.length, removed: removed.length },
      };
    };
    const pin = await repos.generations.getPin();
    if (pin !== undefined) return pinnedResult(pin.generationId);

    // Staged steps commit separately; the generation stays invisible until the one-transaction activation.
    const staged = await repos.generations.createStaged({ syncRunId: this.#runId, note: 'sync' });
    if (active) await repos.generations.copyMembers(active.generationId, staged.generationId);
    if (removed.length > 0) await repos.generations.removeMembers(staged.generationId, removed);
    if (upserts.length > 0) await repos.generations.addMembers(staged.generationId, upserts);
    let activated;
    try {
      activated = await repos.generations.activate(staged.generationId);
    } catch (e) {
      // A rollback landed while this run was staging: the pin wins.
      if (!isAppError(e) || e.code !== 'PB_ERR_CATALOG_PINNED') throw e;
      await repos.generations.abandon(staged.generationId);
      return pinnedResult((e.detail as { pinnedGenerationId: number }).pinnedGenerationId);
    }
    this.#log.info(
      {
        generationId: activated.generationId,
        members: activated.memberCount,
        added: upserts.length,
        removed: removed.length,
      },
      'catalog generation activated',
    );
    return { generationId: activated.generationId, changed: true };
  }
}

/** A blob-level protocol error is per update; a whole-answer one (bad envelope) may come from one bad id too. */
function isBlobLevelProtocolError(e: unknown): boolean {
  return isAppError(e) && e.code === 'PB_ERR_UPSTREAM_PROTOCOL';
}
