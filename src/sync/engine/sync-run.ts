import type { UpdateIdentity } from '../../domain/index.js';
import { AppError } from '../../errors.js';
import type { Executor } from '../../storage/index.js';
import { activateMembers } from './activate-generation.js';
import { checkClosure } from './closure-check.js';
import { BatchCommitter } from './commit-batch.js';
import { RevisionFetcher } from './fetch-revisions.js';
import { HeldState } from './held-state.js';
import {
  fetchDeployments,
  replicaApplier,
  deploymentsAnchorScope,
  type ReplicaOutcome,
} from './replica-deployments.js';
import { RunTally } from './run-tally.js';
import { resolvedSelection, updatesScope } from './selection-scope.js';
import { isFault } from './server-sync-client.js';
import type { SyncRunContext } from './sync-context.js';
import { closureNeeds, dueRetries } from './sync-plan.js';
import type { SyncDeps, SyncResult } from './sync-types.js';
import { languageFilter, refreshUpstreamConfig } from './upstream-config.js';

/** Closure rounds before the run stops following references (each round fetches what the last one named). */
const maxClosureRounds = 32;

/**
 * The phases of one synchronization run in order: state, auth, config, categories, updates and their
 * closure, due quarantine retries, closure validation, activation. Each step lives in its own file; this one
 * only sequences them and promotes each anchor after its phase committed.
 */
export class SyncRun {
  readonly #ctx: SyncRunContext;
  readonly #deps: SyncDeps;
  readonly #fetcher: RevisionFetcher;

  constructor(deps: SyncDeps, ctx: Omit<SyncRunContext, 'state' | 'tally'>) {
    this.#deps = deps;
    this.#ctx = { ...ctx, state: new HeldState(), tally: new RunTally(ctx.options.onProgress) };
    this.#fetcher = new RevisionFetcher(this.#ctx, new BatchCommitter(this.#ctx));
  }

  async execute(): Promise<SyncResult> {
    try {
      return await this.#execute();
    } catch (e) {
      if (isFault(e, 'ServerChanged')) {
        // docs/protocol/server-sync.md §2.1: the upstream's identity changed; every anchor is void.
        this.#ctx.log.warn('upstream reported ServerChanged: anchors reset, the next run lists everything');
        for (const scope of ['config', 'categories', deploymentsAnchorScope, await this.#updatesScope()])
          await this.#ctx.stores.anchors.reset(scope);
      }
      throw e;
    }
  }

  #updatesScope(): Promise<string> {
    return updatesScope(this.#deps.db, this.#ctx.options.defaultSelection);
  }

  async #execute(): Promise<SyncResult> {
    const ctx = this.#ctx;
    const { anchors } = ctx.stores;
    const { tally } = ctx;
    await ctx.state.load(ctx.stores);
    tally.progress('auth');
    await ctx.client.authenticate();

    tally.progress('config');
    const upstreamConfig = await refreshUpstreamConfig(ctx);
    this.#fetcher.batchSize = Math.max(
      1,
      Math.min(upstreamConfig.maxUpdatesPerRequest || 100, ctx.options.maxUpdatesPerRequest ?? Infinity),
    );

    // Categories, classifications, detectoids: unfiltered GetConfig=true.
    tally.progress('categories');
    const catAnchor = await anchors.get('categories');
    const cats = await ctx.client.getRevisionIdList({
      anchor: catAnchor?.anchor ?? undefined,
      getConfig: true,
      get63LanguageOnly: false,
      categories: undefined,
      classifications: undefined,
      languages: undefined,
    });
    const catWanted = this.#plan(cats.revisions, 'categoriesListed');
    if (cats.anchor) await anchors.setPending('categories', cats.anchor, ctx.runId);
    await this.#fetcher.fetchAll(catWanted, 'categories');
    if (cats.anchor) await anchors.promote('categories');
    // The revision anchor GetDeployments is bounded by: the updates listing's, else the categories' (SPEC
    // 3.2.4.2: both listings of a sync store theirs in the one "last SyncAnchor" slot).
    let syncAnchor = cats.anchor;

    // Updates: products AND classifications from the selection; Delta exactly when an anchor is sent.
    const scope = await this.#updatesScope();
    const selection = await resolvedSelection(this.#deps.db, ctx.options.defaultSelection);
    if (selection.products.length === 0 || selection.classifications.length === 0) {
      // One list alone selects nothing upstream, and neither list would select everything: never send those.
      ctx.log.warn(
        { unresolved: selection.unresolved },
        'selection has no product or no classification; updates skipped',
      );
    } else {
      tally.progress('updates');
      const anchor = (await anchors.get(scope))?.anchor ?? undefined;
      const delta = anchor !== undefined;
      const languages = languageFilter(upstreamConfig, selection.languages, delta);
      const list = await ctx.client.getRevisionIdList({
        anchor,
        getConfig: false,
        get63LanguageOnly: false,
        categories: selection.products.map((id) => ({ id: id, delta })),
        classifications: selection.classifications.map((id) => ({ id: id, delta })),
        languages,
      });
      const wanted = this.#plan(list.revisions, 'revisionsListed');
      if (list.anchor) await anchors.setPending(scope, list.anchor, ctx.runId);
      syncAnchor = list.anchor ?? syncAnchor;
      await this.#fetcher.fetchAll(wanted, 'updates');
      await this.#closureFetch();
      if (list.anchor) await anchors.promote(scope);
    }

    const due = dueRetries(ctx.state, ctx.now());
    if (due.length > 0) await this.#fetcher.fetchAll(due, 'updates');
    await this.#closureFetch();

    tally.progress('validate');
    const members = await checkClosure(ctx);
    // Replica mode: the upstream's deployments are fetched now (every revision they name is held), and applied
    // in the activation's transaction; a failed fetch fails the run before anything of it is applied.
    let replica: ReplicaOutcome | undefined;
    let applyReplica: ((trx: Executor) => Promise<void>) | undefined;
    if (ctx.options.replica !== true) {
      // Autonomous: a mirrored state left from replica days is local now; a later switch back starts complete.
      await anchors.reset(deploymentsAnchorScope);
    } else {
      tally.progress('deployments');
      if (syncAnchor === undefined)
        throw new AppError('PB_ERR_UPSTREAM_PROTOCOL', 'upstream GetRevisionIdList answer: no Anchor', {
          detail: { operation: 'GetRevisionIdList' },
        });
      const fetched = await fetchDeployments(ctx, syncAnchor);
      applyReplica = replicaApplier(this.#deps.db, fetched, ctx.runId, ctx.now(), (o) => (replica = o));
    }
    tally.progress('activate');
    const { generationId, changed, pinned, ranInActivation, note } = await activateMembers(
      ctx,
      members,
      applyReplica,
    );
    if (applyReplica !== undefined && ranInActivation !== true) await this.#deps.db.transaction(applyReplica);
    if (replica !== undefined) ctx.log.info({ ...replica }, 'upstream deployments mirrored');
    tally.progress('done');
    return {
      syncRunId: ctx.runId,
      outcome: tally.quarantinedThisRun > 0 ? 'partial' : 'succeeded',
      generationId,
      generationChanged: changed,
      pinnedGenerationId: pinned?.generationId ?? null,
      note:
        pinned === undefined
          ? (note ?? null)
          : `not activated: catalog pinned to generation ${pinned.generationId} ` +
            `(${pinned.added} revisions added or changed, ${pinned.removed} removed are held back; patchbay catalog unpin)`,
      counters: { ...tally.counters },
      calls: { ...ctx.client.calls },
      importedRevisionIds: [...tally.importedRevisionIds],
      ...(replica !== undefined ? { replica } : {}),
    };
  }

  /** A listing planned, counted, its rollback attempts queued for quarantine (RevisionFetcher.plan). */
  #plan(listing: readonly UpdateIdentity[], counter: string): UpdateIdentity[] {
    return this.#fetcher.plan(listing, counter);
  }

  /**
   * The closure (docs/protocol/update-xml.md §3.7 step 3): bundled children (exact identities) and
   * prerequisite/category ids that a listing of this run resolves to a revision, fetched until nothing new is
   * referenced.
   */
  async #closureFetch(): Promise<void> {
    const { revisionGraph } = this.#ctx.stores;
    for (let round = 0; round < maxClosureRounds; round++) {
      const need = closureNeeds(
        this.#ctx.state,
        await revisionGraph.bundledIdentities(),
        await revisionGraph.prerequisiteUpdateIds(),
        this.#ctx.now(),
      );
      if (need.length === 0) return;
      await this.#fetcher.fetchAll(need, 'closure');
    }
  }
}
