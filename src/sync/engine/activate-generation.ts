import { isAppError } from '../../errors.js';
import type { Executor, GenerationMember } from '../../storage/index.js';
import type { ClosureResult } from './closure.js';
import type { SyncRunContext } from './sync-context.js';

export interface Activation {
  /** The active generation afterwards. */
  readonly generationId: number | null;
  readonly changed: boolean;
  /** Set when `catalog rollback` pinned the catalog: the run's changes wait for `catalog unpin`. */
  readonly pinned?: { generationId: number; added: number; removed: number };
  /** Whether `alsoInTransaction` ran inside the activation (false: no activation happened). */
  readonly ranInActivation?: boolean;
}

/**
 * Switches clients to a generation of `members`, only when the member set changed (an unchanged re-sync adds
 * nothing): the generation is staged in steps that commit separately, invisible until the one-transaction
 * activation. A catalog pin (`catalog rollback`) wins, also when it lands while this run is staging.
 */
export async function activateMembers(
  ctx: SyncRunContext,
  members: ClosureResult['members'],
  alsoInTransaction?: (trx: Executor) => Promise<void>,
): Promise<Activation> {
  const generations = ctx.stores.generations;
  const active = await generations.getActive();
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

  const staged = await generations.createStaged({ syncRunId: ctx.runId, note: 'sync' });
  if (active) await generations.copyMembers(active.generationId, staged.generationId);
  if (removed.length > 0) await generations.removeMembers(staged.generationId, removed);
  if (upserts.length > 0) await generations.addMembers(staged.generationId, upserts);
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
