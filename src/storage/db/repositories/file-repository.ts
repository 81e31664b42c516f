import type { Selectable } from 'kysely';
import type { ContentState, FilesTable } from '../database.js';
import { chunkRows, type Executor } from '../transaction.js';

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
