import { chunkRows, createRepositories, type DbHandle } from '../storage/index.js';

/**
 * `content.mode`: `approved` downloads the files of updates approved for installation in some group (and of
 * the bundle members those updates install through), `all` the files of every revision the active catalog
 * generation serves, `none` nothing (clients are sent to Microsoft Update; see docs/operations.md).
 */
export type ContentMode = 'approved' | 'all' | 'none';

export interface ContentPlanResult {
  /** Files of the mode's scope (deduplicated). */
  readonly wanted: number;
  /** Files this call moved from `absent` to `queued`. */
  readonly queued: number;
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
): Promise<ContentPlanResult> {
  if (mode === 'none') return { wanted: 0, queued: 0 };
  const active = await createRepositories(db).generations.getActive();
  if (active === undefined) return { wanted: 0, queued: 0 };
  const revisionIds =
    mode === 'all'
      ? await allMemberRevisions(db, active.generationId)
      : await approvedRevisions(db, active.generationId);
  const sha1s = await filesOf(db, revisionIds);
  let queued = 0;
  for (const chunk of chunkRows(sha1s, 1, 4000)) {
    const r = await db.db
      .updateTable('files')
      .set({ content_state: 'queued', state_changed_at: now, last_error: null })
      .where('content_state', '=', 'absent')
      .where('sha1', 'in', chunk)
      .executeTakeFirst();
    queued += Number(r.numUpdatedRows);
  }
  return { wanted: sha1s.length, queued };
}

async function allMemberRevisions(db: DbHandle, generationId: number): Promise<number[]> {
  const rows = await db.db
    .selectFrom('generation_members')
    .select('revision_id')
    .where('generation_id', '=', generationId)
    .execute();
  return rows.map((r) => r.revision_id);
}

/**
 * Revisions served by the generation whose update is approved for installation somewhere and not declined,
 * plus the bundle members they install through (by exact identity, as BundledUpdates names them).
 */
async function approvedRevisions(db: DbHandle, generationId: number): Promise<number[]> {
  const approved = await db.db
    .selectFrom('approvals')
    .select('update_id')
    .distinct()
    .where('action', '=', 'install')
    .where('update_id', 'not in', (eb) => eb.selectFrom('declines').select('update_id'))
    .execute();
  const result = new Set<number>();
  let frontier: number[] = [];
  for (const chunk of chunkRows(
    approved.map((a) => a.update_id),
    1,
    4000,
  )) {
    const rows = await db.db
      .selectFrom('revisions')
      .innerJoin('generation_members', 'generation_members.revision_id', 'revisions.revision_id')
      .select('revisions.revision_id')
      .where('generation_members.generation_id', '=', generationId)
      .where('revisions.update_id', 'in', chunk)
      .execute();
    for (const r of rows) frontier.push(r.revision_id);
  }
  for (let depth = 0; frontier.length > 0 && depth <= maxBundleDepth; depth++) {
    const next: number[] = [];
    for (const id of frontier) result.add(id);
    for (const chunk of chunkRows(frontier, 1, 4000)) {
      const children = await db.db
        .selectFrom('revision_bundles')
        .innerJoin('revision_ids', (j) =>
          j
            .onRef('revision_ids.update_id', '=', 'revision_bundles.update_id')
            .onRef('revision_ids.revision_number', '=', 'revision_bundles.revision_number'),
        )
        .select('revision_ids.revision_id')
        .where('revision_bundles.revision_id', 'in', chunk)
        .execute();
      for (const c of children) if (!result.has(c.revision_id)) next.push(c.revision_id);
    }
    frontier = [...new Set(next)];
  }
  return [...result];
}

async function filesOf(db: DbHandle, revisionIds: readonly number[]): Promise<Buffer[]> {
  const seen = new Map<string, Buffer>();
  for (const chunk of chunkRows(revisionIds, 1, 4000)) {
    const rows = await db.db
      .selectFrom('revision_files')
      .select('sha1')
      .distinct()
      .where('revision_id', 'in', chunk)
      .execute();
    for (const r of rows) seen.set(r.sha1.toString('hex'), r.sha1);
  }
  return [...seen.values()];
}
