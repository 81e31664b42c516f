import { sql } from 'kysely';
import type { ContentState } from '../database.js';
import { blobLengthFunction, maintenanceStatements, type DialectName } from '../dialect.js';
import { chunkRows, inTransaction, type Executor } from '../transaction.js';

/** A stored revision no generation holds (the obsolete-revision rule's candidate). */
export interface ObsoleteRevision {
  readonly revisionId: number;
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly title: string | null;
  /** Bytes of its stored document, fragments and localized properties. */
  readonly bytes: number;
}

export interface CleanupFileRow {
  readonly sha1: Buffer;
  readonly size: number;
  readonly state: ContentState;
  readonly stateChangedAt: number;
  readonly createdAt: number;
}

/** What the files step does to one file: `forget` deletes the row (no revision names it), `evict` makes it absent. */
export interface FileRemoval {
  readonly sha1: Buffer;
  readonly size: number;
  readonly action: 'forget' | 'evict';
}

/** Needed computer states (docs/protocol): not installed, downloaded, failed, installed pending reboot. */
const neededStates = [2, 3, 5, 6];

/**
 * The queries of `patchbay cleanup` (src/maintenance) that no other repository has: the obsolete-revision rule,
 * the file pages and the crash-safe file journal (migration 0013), event and generation counts for the dry run,
 * and the dialect's database maintenance.
 */
export class CleanupRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  /**
   * Revisions no stored generation holds (so no upstream offers them now and no rollback can serve them), last
   * written before `cutoff` (a running sync's newest rows are not in a generation yet), that are no category's
   * current revision, whose update has no install or uninstall approval, and that no computer needs (a state
   * of not installed, downloaded, failed or pending reboot for the update). Paged by revision id.
   */
  async obsoleteRevisions(
    cutoff: number,
    page: { afterRevisionId?: number; limit: number },
  ): Promise<ObsoleteRevision[]> {
    const rows = await this.db
      .selectFrom('revisions as r')
      .select(['r.revision_id', 'r.update_id', 'r.revision_number', 'r.title'])
      .where('r.revision_id', '>', page.afterRevisionId ?? 0)
      .where('r.updated_at', '<', cutoff)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('generation_members as gm')
              .select('gm.revision_id')
              .whereRef('gm.revision_id', '=', 'r.revision_id'),
          ),
        ),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('categories as c')
              .select('c.update_id')
              .whereRef('c.revision_id', '=', 'r.revision_id'),
          ),
        ),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('approvals as a')
              .select('a.update_id')
              .whereRef('a.update_id', '=', 'r.update_id')
              .where('a.action', 'in', ['install', 'uninstall']),
          ),
        ),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('update_status as s')
              .select('s.update_id')
              .whereRef('s.update_id', '=', 'r.update_id')
              .where('s.state', 'in', neededStates),
          ),
        ),
      )
      .orderBy('r.revision_id')
      .limit(page.limit)
      .execute();
    const bytes = await this.revisionBytes(rows.map((r) => r.revision_id));
    return rows.map((r) => ({
      revisionId: r.revision_id,
      updateId: r.update_id,
      revisionNumber: r.revision_number,
      title: r.title,
      bytes: bytes.get(r.revision_id) ?? 0,
    }));
  }

  /** Stored blob bytes per revision (document, fragments, localized properties). */
  private async revisionBytes(revisionIds: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const fn = blobLengthFunction(this.dialect);
    for (const table of ['revision_documents', 'revision_fragments', 'revision_localized'] as const)
      for (const chunk of chunkRows(revisionIds, 1, 4000)) {
        if (chunk.length === 0) continue;
        const rows = await this.db
          .selectFrom(table)
          .select(['revision_id', sql<number | string>`sum(${sql.raw(fn)}(data))`.as('n')])
          .where('revision_id', 'in', chunk)
          .groupBy('revision_id')
          .execute();
        for (const r of rows) out.set(r.revision_id, (out.get(r.revision_id) ?? 0) + Number(r.n));
      }
    return out;
  }

  /**
   * Deletes these revisions (their documents, fragments, relationships and file references go by cascade; the
   * revision id stays allocated, never reused). A revision a generation gained since it was planned is kept:
   * the guard is in the statement. Returns the ids actually deleted.
   */
  async deleteRevisions(revisionIds: readonly number[]): Promise<number[]> {
    return inTransaction(this.db, async (trx) => {
      const deleted: number[] = [];
      for (const chunk of chunkRows(revisionIds, 1, 4000)) {
        // No alias: SQLite's RETURNING cannot name one.
        const rows = await trx
          .deleteFrom('revisions')
          .where('revisions.revision_id', 'in', chunk)
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom('generation_members as gm')
                  .select('gm.revision_id')
                  .whereRef('gm.revision_id', '=', 'revisions.revision_id'),
              ),
            ),
          )
          .returning('revision_id')
          .execute();
        deleted.push(...rows.map((r) => r.revision_id));
      }
      return deleted;
    });
  }

  /** Every stored generation id (any state): the files their members name are kept for rollback. */
  async storedGenerationIds(): Promise<number[]> {
    const rows = await this.db
      .selectFrom('catalog_generations')
      .select('generation_id')
      .orderBy('generation_id')
      .execute();
    return rows.map((r) => r.generation_id);
  }

  /** A page of the files table in SHA-1 order. */
  async fileRows(page: { afterSha1?: Buffer; limit: number }): Promise<CleanupFileRow[]> {
    let q = this.db
      .selectFrom('files')
      .select(['sha1', 'size', 'content_state', 'state_changed_at', 'created_at'])
      .orderBy('sha1')
      .limit(page.limit);
    if (page.afterSha1 !== undefined) q = q.where('sha1', '>', page.afterSha1);
    const rows = await q.execute();
    return rows.map((r) => ({
      sha1: r.sha1,
      size: Number(r.size),
      state: r.content_state,
      stateChangedAt: Number(r.state_changed_at),
      createdAt: Number(r.created_at),
    }));
  }

  /** For each SHA-1 the (revision, update, declined) triples of the stored revisions that name it. */
  async fileReferences(
    sha1s: readonly Buffer[],
  ): Promise<Map<string, { revisionId: number; updateId: string; declined: boolean }[]>> {
    const out = new Map<string, { revisionId: number; updateId: string; declined: boolean }[]>();
    for (const chunk of chunkRows(sha1s, 1, 4000)) {
      if (chunk.length === 0) continue;
      const rows = await this.db
        .selectFrom('revision_files as rf')
        .innerJoin('revisions as r', 'r.revision_id', 'rf.revision_id')
        .leftJoin('declines as d', 'd.update_id', 'r.update_id')
        .select(['rf.sha1', 'r.revision_id', 'r.update_id', 'd.update_id as declined'])
        .where('rf.sha1', 'in', chunk)
        .execute();
      for (const r of rows) {
        const key = r.sha1.toString('hex');
        const list = out.get(key) ?? [];
        list.push({ revisionId: r.revision_id, updateId: r.update_id, declined: r.declined !== null });
        out.set(key, list);
      }
    }
    return out;
  }

  /**
   * The database half of removing files, in one transaction: `forget` deletes the row (only while still no
   * revision names it), `evict` makes it `absent` (only from verified, queued or failed: never under a running
   * download); each file whose object is stored is written to the journal in the same transaction, so the
   * object is deleted even if the process dies right after the commit. Returns the files the journal now holds.
   */
  async removeFiles(
    removals: readonly FileRemoval[],
    stored: ReadonlySet<string>,
    now: number,
  ): Promise<FileRemoval[]> {
    return inTransaction(this.db, async (trx) => {
      const done: FileRemoval[] = [];
      for (const chunk of chunkRows(removals, 1, 2000)) {
        const forget = chunk.filter((f) => f.action === 'forget').map((f) => f.sha1);
        const evict = chunk.filter((f) => f.action === 'evict').map((f) => f.sha1);
        const changed = new Set<string>();
        if (forget.length > 0) {
          const rows = await trx
            .deleteFrom('files')
            .where('files.sha1', 'in', forget)
            .where((eb) =>
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('revision_files as rf')
                    .select('rf.sha1')
                    .whereRef('rf.sha1', '=', 'files.sha1'),
                ),
              ),
            )
            .returning('sha1')
            .execute();
          for (const r of rows) changed.add(r.sha1.toString('hex'));
        }
        if (evict.length > 0) {
          const rows = await trx
            .updateTable('files')
            .set({ content_state: 'absent', state_changed_at: now, attempts: 0, last_error: null })
            .where('sha1', 'in', evict)
            .where('content_state', 'in', ['verified', 'queued', 'failed'])
            .returning('sha1')
            .execute();
          for (const r of rows) changed.add(r.sha1.toString('hex'));
        }
        const journaled = chunk.filter((f) => changed.has(f.sha1.toString('hex')));
        done.push(...journaled);
        const toJournal = journaled.filter((f) => stored.has(f.sha1.toString('hex')));
        if (toJournal.length > 0)
          await trx
            .insertInto('cleanup_file_journal')
            .values(toJournal.map((f) => ({ sha1: f.sha1, size: f.size, queued_at: now })))
            .onConflict((oc) => oc.column('sha1').doNothing())
            .execute();
      }
      return done;
    });
  }

  /** Which of these SHA-1s have a `files` row (any state): a stored object without one is an orphan. */
  async knownFileSha1s(sha1s: readonly Buffer[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const chunk of chunkRows(sha1s, 1, 4000)) {
      if (chunk.length === 0) continue;
      const rows = await this.db.selectFrom('files').select('sha1').where('sha1', 'in', chunk).execute();
      for (const r of rows) out.add(r.sha1.toString('hex'));
    }
    return out;
  }

  /** Files the journal says are being deleted (oldest first). */
  async journal(limit: number): Promise<{ sha1: Buffer; size: number }[]> {
    const rows = await this.db
      .selectFrom('cleanup_file_journal')
      .select(['sha1', 'size'])
      .orderBy('queued_at')
      .orderBy('sha1')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ sha1: r.sha1, size: Number(r.size) }));
  }

  async clearJournal(sha1s: readonly Buffer[]): Promise<void> {
    for (const chunk of chunkRows(sha1s, 1, 4000))
      if (chunk.length > 0)
        await this.db.deleteFrom('cleanup_file_journal').where('sha1', 'in', chunk).execute();
  }

  /**
   * The row state of a journaled file now: a file downloaded again since (verified or downloading) must not
   * lose its object to the journal.
   */
  async fileState(sha1: Buffer): Promise<ContentState | undefined> {
    const row = await this.db
      .selectFrom('files')
      .select('content_state')
      .where('sha1', '=', sha1)
      .executeTakeFirst();
    return row?.content_state;
  }

  /** Raw client events received before `before`: how many and their stored bytes (the retention step's dry run). */
  async eventsReceivedBefore(before: number): Promise<{ rows: number; bytes: number }> {
    const fn = blobLengthFunction(this.dialect);
    const r = await this.db
      .selectFrom('client_events')
      .select([
        (eb) => eb.fn.countAll<number | string>().as('n'),
        sql<number | string | null>`sum(${sql.raw(fn)}(raw))`.as('b'),
      ])
      .where('received_at', '<', before)
      .executeTakeFirstOrThrow();
    return { rows: Number(r.n), bytes: Number(r.b ?? 0) };
  }

  /**
   * The finished generations (retired, abandoned, rolled back) beyond the newest `keep`, with their member
   * counts: what the generations step deletes. The active (and so the pinned) generation and a staged one
   * are never among them.
   */
  async prunableGenerations(
    keep: number,
  ): Promise<{ generationId: number; state: string; members: number }[]> {
    const rows = await this.db
      .selectFrom('catalog_generations as g')
      .select([
        'g.generation_id',
        'g.state',
        (eb) =>
          eb
            .selectFrom('generation_members as gm')
            .select((e) => e.fn.countAll<number | string>().as('n'))
            .whereRef('gm.generation_id', '=', 'g.generation_id')
            .as('members'),
      ])
      .where('g.state', 'in', ['retired', 'abandoned', 'rolled_back'])
      .orderBy('g.generation_id', 'desc')
      .offset(Math.max(0, keep))
      .limit(1_000_000)
      .execute();
    return rows.map((r) => ({
      generationId: r.generation_id,
      state: r.state,
      members: Number(r.members ?? 0),
    }));
  }

  /** The maintenance statements due now (see `maintenanceStatements`). */
  async maintenancePlan(): Promise<string[]> {
    if (this.dialect === 'postgres') return maintenanceStatements('postgres', undefined);
    const r = await sql<{ av: number; pages: number; size: number; free: number }>`
      select a.auto_vacuum as av, p.page_count as pages, s.page_size as size, f.freelist_count as free
      from pragma_auto_vacuum() a, pragma_page_count() p, pragma_page_size() s, pragma_freelist_count() f`.execute(
      this.db,
    );
    const row = r.rows[0];
    return maintenanceStatements('sqlite', {
      autoVacuum: Number(row?.av ?? 0),
      pageBytes: Number(row?.pages ?? 0) * Number(row?.size ?? 0),
      freeBytes: Number(row?.free ?? 0) * Number(row?.size ?? 0),
    });
  }

  /** Runs one statement of `maintenancePlan()` (outside any transaction). */
  async runMaintenance(statement: string): Promise<void> {
    await sql.raw(statement).execute(this.db);
  }
}
