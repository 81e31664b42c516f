import type { Selectable } from 'kysely';
import type { ContentState, FilesTable } from '../database.js';
import { chunkRows, type Executor } from '../transaction.js';
import { filesToHold } from '../../../domain/index.js';
import { groupByRevision } from './content-plan-repository.js';

export interface FileRecord {
  readonly sha1: Buffer;
  readonly sha256: Buffer | null;
  readonly size: number;
  readonly name: string;
  readonly muUrl: string | null;
  readonly contentState: ContentState;
  readonly stateChangedAt: number;
  readonly attempts: number;
  readonly lastError: string | null;
}

/** Why an update cannot be delivered from the content store yet. */
export interface ContentGap {
  /** `failed`: some file failed (download or verification); `waiting`: files not downloaded yet. */
  readonly state: 'waiting' | 'failed';
  /** The first failed file's error, when failed. */
  readonly reason: string | null;
}

/** Bundles nest only a level or two deep; this bounds a bad graph. */
const maxBundleDepth = 8;

/** Update files (rows are created by the revision import) and their content state for the downloader. */
export class FileRepository {
  constructor(private readonly db: Executor) {}

  async get(sha1: Buffer): Promise<FileRecord | undefined> {
    const row = await this.db.selectFrom('files').selectAll().where('sha1', '=', sha1).executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Moves files to a new content state. Entering 'downloading' counts an attempt; `error` is kept for
   * 'failed' and cleared otherwise. Returns how many rows changed.
   */
  async setState(
    sha1s: readonly Buffer[],
    state: ContentState,
    error: string | null = null,
    now = Date.now(),
  ): Promise<number> {
    let changed = 0;
    for (const chunk of chunkRows(sha1s, 1, 4000)) {
      const r = await this.db
        .updateTable('files')
        .set((eb) => ({
          content_state: state,
          state_changed_at: now,
          last_error: state === 'failed' ? (error?.slice(0, 2000) ?? null) : null,
          attempts: state === 'downloading' ? eb('attempts', '+', 1) : eb.ref('attempts'),
        }))
        .where('sha1', 'in', chunk)
        .executeTakeFirst();
      changed += Number(r.numUpdatedRows);
    }
    return changed;
  }

  /** Files in a state, oldest state change first (the download queue). */
  async listByState(state: ContentState, limit = 1000): Promise<FileRecord[]> {
    const rows = await this.db
      .selectFrom('files')
      .selectAll()
      .where('content_state', '=', state)
      .orderBy('state_changed_at')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /** Counts per content state (dashboard). */
  async countByState(): Promise<Record<ContentState, number>> {
    const rows = await this.db
      .selectFrom('files')
      .select(['content_state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('content_state')
      .execute();
    const out: Record<ContentState, number> = {
      absent: 0,
      queued: 0,
      downloading: 0,
      verified: 0,
      failed: 0,
    };
    for (const r of rows) out[r.content_state] = Number(r.n);
    return out;
  }

  /**
   * The updates (of those given) whose files, in the generation, are not all verified in the store: the
   * files of their revisions and of the bundle members they install through. Absent from the map = every
   * file is stored (or the update has none).
   */
  async contentGaps(
    generationId: number,
    updateIds: readonly string[],
    options: { express?: boolean } = {},
  ): Promise<Map<string, ContentGap>> {
    // revision id -> the requested updates it belongs to (directly or as a bundle member)
    const rootsOf = new Map<number, Set<string>>();
    let frontier: number[] = [];
    for (const chunk of chunkRows([...new Set(updateIds)], 1, 4000)) {
      const rows = await this.db
        .selectFrom('revisions')
        .innerJoin('generation_members', 'generation_members.revision_id', 'revisions.revision_id')
        .select(['revisions.revision_id', 'revisions.update_id'])
        .where('generation_members.generation_id', '=', generationId)
        .where('revisions.update_id', 'in', chunk)
        .execute();
      for (const r of rows) {
        rootsOf.set(r.revision_id, new Set([r.update_id]));
        frontier.push(r.revision_id);
      }
    }
    for (let depth = 0; frontier.length > 0 && depth < maxBundleDepth; depth++) {
      const next: number[] = [];
      for (const chunk of chunkRows(frontier, 1, 4000)) {
        const children = await this.db
          .selectFrom('revision_bundles')
          .innerJoin('revision_ids', (j) =>
            j
              .onRef('revision_ids.update_id', '=', 'revision_bundles.update_id')
              .onRef('revision_ids.revision_number', '=', 'revision_bundles.revision_number'),
          )
          .select(['revision_bundles.revision_id as parent', 'revision_ids.revision_id as child'])
          .where('revision_bundles.revision_id', 'in', chunk)
          .execute();
        for (const c of children) {
          const roots = rootsOf.get(c.parent) ?? new Set<string>();
          let mine = rootsOf.get(c.child);
          if (mine === undefined) rootsOf.set(c.child, (mine = new Set()));
          const before = mine.size;
          for (const u of roots) mine.add(u);
          if (mine.size > before) next.push(c.child);
        }
      }
      frontier = [...new Set(next)];
    }
    const gaps = new Map<string, ContentGap>();
    for (const chunk of chunkRows([...rootsOf.keys()], 1, 4000)) {
      const rows = await this.db
        .selectFrom('revision_files')
        .innerJoin('files', 'files.sha1', 'revision_files.sha1')
        .select([
          'revision_files.revision_id',
          'revision_files.patching_type',
          'files.content_state',
          'files.last_error',
        ])
        .where('revision_files.revision_id', 'in', chunk)
        .execute();
      // Only the files the server holds count (express off: no express file where a full one exists).
      const held = groupByRevision(rows).flatMap((files) =>
        filesToHold(
          files.map((r) => ({ ...r, patchingType: r.patching_type })),
          options.express ?? true,
        ),
      );
      for (const r of held.filter((x) => x.content_state !== 'verified'))
        for (const u of rootsOf.get(r.revision_id) ?? []) {
          if (gaps.get(u)?.state === 'failed') continue;
          gaps.set(
            u,
            r.content_state === 'failed'
              ? { state: 'failed', reason: r.last_error }
              : { state: 'waiting', reason: null },
          );
        }
    }
    return gaps;
  }

  /** Revision ids that reference a file. */
  async revisionsUsing(sha1: Buffer): Promise<number[]> {
    const rows = await this.db
      .selectFrom('revision_files')
      .select('revision_id')
      .where('sha1', '=', sha1)
      .distinct()
      .execute();
    return rows.map((r) => r.revision_id);
  }
}

function toRecord(r: Selectable<FilesTable>): FileRecord {
  return {
    sha1: r.sha1,
    sha256: r.sha256,
    size: r.size,
    name: r.name,
    muUrl: r.mu_url,
    contentState: r.content_state,
    stateChangedAt: r.state_changed_at,
    attempts: r.attempts,
    lastError: r.last_error,
  };
}
