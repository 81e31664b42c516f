import { createHash } from 'node:crypto';
import { noCatalogRings } from '../../domain/index.js';
import { isAppError } from '../../errors.js';
import type { Executor, GenerationMember } from '../../storage/index.js';
import type { ClosureResult } from './closure.js';
import type { RevisionImportContext } from './sync-context.js';

export interface Activation {
  /** The active generation afterwards. */
  readonly generationId: number | null;
  readonly changed: boolean;
  /** Set when `catalog rollback` pinned the catalog: the run's changes wait for `catalog unpin`. */
  readonly pinned?: { generationId: number; added: number; removed: number };
  /** Whether `alsoInTransaction` ran inside the activation (false: no activation happened). */
  readonly ranInActivation?: boolean;
  /** Set when rings are configured and the change went to ring 0 (a rollout) instead of to everyone. */
  readonly rollout?: { generationId: number; rolloutId: number };
  /** What the run did not do and why, for its history (a rollout in progress, an aborted catalog). */
  readonly note?: string;
}

/** A stable fingerprint of a member set: a sync recognises the catalog of a rollout the admin aborted. */
export function membersDigest(members: ClosureResult['members']): string {
  const h = createHash('sha256');
  for (const id of [...members.keys()].sort((a, b) => a - b)) {
    const f = members.get(id)!;
    h.update(`${id}:${f.isLeaf ? 1 : 0}${f.isBundleMember ? 1 : 0};`);
  }
  return h.digest('hex');
}

/**
 * Switches clients to a generation of `members`, only when the member set changed (an unchanged re-sync adds
 * nothing): the generation is staged in steps that commit separately, invisible until the one-transaction
 * activation. A catalog pin (`catalog rollback`) wins, also when it lands while this run is staging.
 *
 * With two or more rollout rings the staged generation is not activated but starts a rollout in ring 0
 * (docs/rings.md "Ringed catalog changes"); the promotion job moves it on. One rollout at a time: while one
 * is in progress a run's changes wait (its work is kept, as under a pin) until it completes or is aborted.
 */
export async function activateMembers(
  ctx: RevisionImportContext,
  members: ClosureResult['members'],
  alsoInTransaction?: (trx: Executor) => Promise<void>,
): Promise<Activation> {
  const generations = ctx.stores.generations;
  const active = await generations.getActive();
  const digest = membersDigest(members);
  const running = await ctx.stores.catalogRollouts.current();
  if (running !== undefined) {
    // The catalog rolling out is this run's catalog: nothing to do, nothing held back.
    if (running.membersDigest === digest)
      return { generationId: active?.generationId ?? null, changed: false };
    const note =
      `not activated: generation ${running.generationId} is rolling out (${running.state} in ring ` +
      `${running.ringIndex}); this catalog follows once it completes or is aborted`;
    ctx.log.info({ rolloutGenerationId: running.generationId, state: running.state }, note);
    return { generationId: active?.generationId ?? null, changed: false, note };
  }
  const current = new Map<number, { isLeaf: boolean; isBundleMember: boolean }>();
  if (active)
    for (let after = 0; ;) {
      const page = await generations.listMembers(active.generationId, {
        afterRevisionId: after,
        limit: 10_000,
      });
      for (const m of page) current.set(m.revisionId, { isLeaf: m.isLeaf, isBundleMember: m.isBundleMember });
      if (page.length < 10_000) break;
      after = page[page.length - 1]!.revisionId;
    }
  const removed = [...current.keys()].filter((id) => !members.has(id));
  const upserts: GenerationMember[] = [...members]
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
  const pinnedResult = (generationId: number): Activation => {
    ctx.log.warn(
      { pinnedGenerationId: generationId, added: upserts.length, removed: removed.length },
      'catalog pinned by catalog rollback: the synchronized catalog is not activated',
    );
    return {
      generationId: active?.generationId ?? null,
      changed: false,
      pinned: { generationId, added: upserts.length, removed: removed.length },
    };
  };
  const pin = await generations.getPin();
  if (pin !== undefined) return pinnedResult(pin.generationId);

  const rings = await (ctx.options.rings ?? noCatalogRings).catalogRings();
  const ringed = rings.length >= 2 && active !== undefined;
  if (ringed) {
    const last = await ctx.stores.catalogRollouts.latest();
    if (
      last?.state === 'aborted' &&
      last.membersDigest === digest &&
      last.previousGenerationId === active.generationId
    ) {
      const note =
        `not rolled out: the same catalog as generation ${last.generationId}, whose rollout was aborted; ` +
        `quarantine or decline what made it fail, or sync again once the upstream changed`;
      ctx.log.warn({ abortedGenerationId: last.generationId }, note);
      return { generationId: active.generationId, changed: false, note };
    }
  }

  const staged = await generations.createStaged({ syncRunId: ctx.runId, note: 'sync' });
  if (active) await generations.copyMembers(active.generationId, staged.generationId);
  if (removed.length > 0) await generations.removeMembers(staged.generationId, removed);
  if (upserts.length > 0) await generations.addMembers(staged.generationId, upserts);
  if (ringed)
    return startRollout(ctx, staged.generationId, digest, upserts.length, removed.length, pinnedResult);
  let activated;
  try {
    activated = await generations.activate(staged.generationId, undefined, alsoInTransaction);
  } catch (e) {
    // A rollback landed while this run was staging: the pin wins.
    if (!isAppError(e) || e.code !== 'PB_ERR_CATALOG_PINNED') throw e;
    await generations.abandon(staged.generationId);
    return pinnedResult((e.detail as { pinnedGenerationId: number }).pinnedGenerationId);
  }
  ctx.log.info(
    {
      generationId: activated.generationId,
      members: activated.memberCount,
      added: upserts.length,
      removed: removed.length,
    },
    'catalog generation activated',
  );
  return { generationId: activated.generationId, changed: true, ranInActivation: true };
}

/** The staged generation goes to ring 0; everyone else keeps the active one. */
async function startRollout(
  ctx: RevisionImportContext,
  generationId: number,
  digest: string,
  added: number,
  removed: number,
  pinnedResult: (generationId: number) => Activation,
): Promise<Activation> {
  const active = await ctx.stores.generations.getActive();
  let rollout;
  try {
    rollout = await ctx.stores.catalogRollouts.start(generationId, digest, ctx.now());
  } catch (e) {
    if (!isAppError(e) || (e.code !== 'PB_ERR_CATALOG_PINNED' && e.code !== 'PB_ERR_CONFLICT')) throw e;
    await ctx.stores.generations.abandon(generationId);
    if (e.code === 'PB_ERR_CATALOG_PINNED')
      return pinnedResult((e.detail as { pinnedGenerationId: number }).pinnedGenerationId);
    // Another node's run started a rollout meanwhile: this catalog follows it.
    return {
      generationId: active?.generationId ?? null,
      changed: false,
      note: `not activated: ${e.message}`,
    };
  }
  ctx.log.info(
    {
      event: 'catalog.generation.rollout',
      generationId,
      rolloutId: rollout.rolloutId,
      ring: 0,
      added,
      removed,
    },
    'catalog generation rolling out: served to ring 0 first',
  );
  return {
    generationId: active?.generationId ?? null,
    changed: false,
    rollout: { generationId, rolloutId: rollout.rolloutId },
    note:
      `not activated for everyone: generation ${generationId} is served to ring 0 first and promoted ` +
      `ring by ring (patchbay catalog rollout)`,
  };
}
