import type { ContentMode } from '../domain/index.js';
import { createRepositories, type DbHandle } from '../storage/index.js';
import type { ContentPlanStore, ContentStores } from './content-ports.js';

export interface ContentPlanResult {
  /** Files of the mode's scope (deduplicated). */
  readonly wanted: number;
  /** Files this call moved from `absent` to `queued`. */
  readonly queued: number;
}

export interface ContentPlanOptions {
  /** `[content] express`: also the express-installation files (default false, as WSUS). */
  readonly express?: boolean;
}

/** Bundles nest (a bundle's child can itself be a bundle) only a level or two deep; this bounds a bad graph. */
const maxBundleDepth = 8;

/**
 * Queues the files the mode wants: `absent` -> `queued`. Files already queued, downloading, verified or failed
 * keep their state (failed ones are retried by the downloader on its backoff). Idempotent; cheap enough to
 * run before every download pass.
 */
export async function planContent(
  db: DbHandle,
  mode: ContentMode,
  now = Date.now(),
  options: ContentPlanOptions = {},
): Promise<ContentPlanResult> {
  const sha1s = await contentScope(db, mode, options);
  if (sha1s.length === 0) return { wanted: 0, queued: 0 };
  const queued = await createRepositories(db).contentState.queueAbsent(sha1s, now);
  return { wanted: sha1s.length, queued };
}

/** The files (SHA-1s, deduplicated) the mode covers in the active generation; an export selects these too. */
export async function contentScope(
  db: DbHandle,
  mode: ContentMode,
  options: ContentPlanOptions = {},
): Promise<Buffer[]> {
  if (mode === 'none') return [];
  const stores: ContentStores = createRepositories(db);
  const active = await stores.generations.getActive();
  if (active === undefined) return [];
  const plan = stores.contentPlan;
  const revisionIds =
    mode === 'all'
      ? await plan.memberRevisionIds(active.generationId)
      : await approvedRevisions(plan, active.generationId);
  return plan.fileSha1sOf(revisionIds, { express: options.express ?? false });
}

/**
 * Revisions served by the generation whose update is approved for installation somewhere and not declined,
 * plus the bundle members they install through (by exact identity, as BundledUpdates names them).
 */
async function approvedRevisions(plan: ContentPlanStore, generationId: number): Promise<number[]> {
  const approved = await plan.installApprovedUpdateIds();
  const result = new Set<number>();
  let frontier = await plan.memberRevisionIdsOfUpdates(generationId, approved);
  for (let depth = 0; frontier.length > 0 && depth <= maxBundleDepth; depth++) {
    for (const id of frontier) result.add(id);
    const children = await plan.bundledRevisionIds(frontier);
    frontier = children.filter((id) => !result.has(id));
  }
  return [...result];
}
