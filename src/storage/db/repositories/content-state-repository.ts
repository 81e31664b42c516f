import type { ContentState } from '../database.js';
import { chunkRows, type Executor } from '../transaction.js';

export interface ContentStateTotal {
  readonly state: ContentState;
  readonly files: number;
  readonly bytes: number;
}

export interface FailedContentFile {
  readonly sha1: Buffer;
  readonly name: string;
  readonly lastError: string | null;
  readonly attempts: number;
}

/**
 * The download states of update files as content planning and `content verify` / `content status` move and
 * read them. Each transition names the states it leaves, so a file another worker is downloading is never
 * taken from it.
 */
export class ContentStateRepository {
  constructor(private readonly db: Executor) {}

  /** `absent` -> `queued` for these files; any other state is kept. Returns how many moved. */
  async queueAbsent(sha1s: readonly Buffer[], now = Date.now()): Promise<number> {
    return this.move(sha1s, 'queued', now, 'in', ['absent']);
  }

  /** Every file recorded as `verified`. */
  async verifiedSha1s(): Promise<Buffer[]> {
    const rows = await this.db
      .selectFrom('files')
      .select('sha1')
      .where('content_state', '=', 'verified')
      .execute();
    return rows.map((r) => r.sha1);
  }

  /**
   * Marks files whose bytes the store holds as `verified`, unless a download of them is running. Returns how
   * many rows changed (already verified ones do not count).
   */
  async adoptStored(sha1s: readonly Buffer[], now = Date.now()): Promise<number> {
    return this.move(sha1s, 'verified', now, 'not in', ['verified', 'downloading']);
  }

  /** Files and bytes per state; states without files are left out. */
  async totals(): Promise<ContentStateTotal[]> {
    const rows = await this.db
      .selectFrom('files')
      .select((eb) => [
        'content_state',
        eb.fn.countAll<number>().as('n'),
        eb.fn.sum<number>('size').as('bytes'),
      ])
      .groupBy('content_state')
      .execute();
    // PostgreSQL returns count and sum of a bigint as text.
    return rows.map((r) => ({ state: r.content_state, files: Number(r.n), bytes: Number(r.bytes ?? 0) }));
  }

  /** Files and bytes in one state (zero when none). */
  async totalIn(state: ContentState): Promise<{ files: number; bytes: number }> {
    const row = await this.db
      .selectFrom('files')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('bytes')])
      .where('content_state', '=', state)
      .executeTakeFirstOrThrow();
    return { files: Number(row.n), bytes: Number(row.bytes ?? 0) };
  }

  /** Files that are `verified` and entered that state at or after `since` (they arrived during a run). */
  async verifiedSince(since: number): Promise<Buffer[]> {
    const rows = await this.db
      .selectFrom('files')
      .select('sha1')
      .where('content_state', '=', 'verified')
      .where('state_changed_at', '>=', since)
      .execute();
    return rows.map((r) => r.sha1);
  }

  /** Failed files, most recent failure first. */
  async recentFailures(limit: number): Promise<FailedContentFile[]> {
    const rows = await this.db
      .selectFrom('files')
      .select(['sha1', 'name', 'last_error', 'attempts'])
      .where('content_state', '=', 'failed')
      .orderBy('state_changed_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ sha1: r.sha1, name: r.name, lastError: r.last_error, attempts: r.attempts }));
  }

  /** Moves these files to `to` where their current state is (not) one of `states`; returns how many moved. */
  private async move(
    sha1s: readonly Buffer[],
    to: ContentState,
    now: number,
    op: 'in' | 'not in',
    states: readonly ContentState[],
  ): Promise<number> {
    let moved = 0;
    for (const chunk of chunkRows(sha1s, 1, 4000)) {
      const r = await this.db
        .updateTable('files')
        .set({ content_state: to, state_changed_at: now, last_error: null })
        .where('sha1', 'in', chunk)
        .where('content_state', op, states)
        .executeTakeFirst();
      moved += Number(r.numUpdatedRows);
    }
    return moved;
  }
}
