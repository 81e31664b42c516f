import { sql, type Selectable } from 'kysely';
import { AppError } from '../../../errors.js';
import type { CatalogGenerationsTable, GenerationState } from '../database.js';
import type { DialectName } from '../dialect.js';
import { boolToInt, chunkRows, inTransaction, type Executor } from '../transaction.js';

export interface GenerationRecord {
  readonly generationId: number;
  readonly state: GenerationState;
  readonly previousGenerationId: number | null;
  readonly syncRunId: number | null;
  readonly memberCount: number;
  readonly note: string | null;
  readonly createdAt: number;
  readonly activatedAt: number | null;
  readonly retiredAt: number | null;
}

/** `catalog rollback` pinned this generation: it stays active until `catalog unpin`. */
export interface CatalogPin {
  readonly generationId: number;
  readonly pinnedAt: number;
  readonly pinnedBy: string | null;
}

export interface GenerationMember {
  readonly revisionId: number;
  readonly isLeaf: boolean;
  readonly isBundleMember: boolean;
}

/** A member revision of a generation, by identity, type and title. */
export interface MemberUpdate {
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly updateType: string;
  readonly title: string | null;
}

/** Advisory lock key for generation switches on PostgreSQL ("PBGEN"). */
const generationLockKey = 0x5042_47454e;

/**
 * Serialises every switch of what clients are served (activation, rollback, rollout steps): an advisory
 * transaction lock on PostgreSQL; on SQLite the single writer already does it.
 */
export async function lockGenerationSwitch(trx: Executor, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${generationLockKey})`.execute(trx);
}

/**
 * Catalog generations: a sync fills a *staged* generation, then activates it in one transaction; clients
 * are served from the active one meanwhile. At most one generation is active (a partial unique index
 * guarantees it; switches are serialised with an advisory lock on PostgreSQL and by the write lock on
 * SQLite). `rollback` re-activates the generation the active one replaced.
 */
export class GenerationRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  async createStaged(
    options: { syncRunId?: number; note?: string } = {},
    now = Date.now(),
  ): Promise<GenerationRecord> {
    const row = await this.db
      .insertInto('catalog_generations')
      .values({
        state: 'staged',
        previous_generation_id: null,
        sync_run_id: options.syncRunId ?? null,
        member_count: 0,
        note: options.note ?? null,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toGeneration(row);
  }

  /** Adds (or updates the flags of) members of a staged generation. */
  async addMembers(generationId: number, members: readonly GenerationMember[]): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await this.requireState(trx, generationId, 'staged');
      for (const chunk of chunkRows(members, 4)) {
        await trx
          .insertInto('generation_members')
          .values(
            chunk.map((m) => ({
              generation_id: generationId,
              revision_id: m.revisionId,
              is_leaf: boolToInt(m.isLeaf),
              is_bundle_member: boolToInt(m.isBundleMember),
            })),
          )
          .onConflict((oc) =>
            oc.columns(['generation_id', 'revision_id']).doUpdateSet((eb) => ({
              is_leaf: eb.ref('excluded.is_leaf'),
              is_bundle_member: eb.ref('excluded.is_bundle_member'),
            })),
          )
          .execute();
      }
    });
  }

  async removeMembers(generationId: number, revisionIds: readonly number[]): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await this.requireState(trx, generationId, 'staged');
      for (const chunk of chunkRows(revisionIds, 1, 4000))
        await trx
          .deleteFrom('generation_members')
          .where('generation_id', '=', generationId)
          .where('revision_id', 'in', chunk)
          .execute();
    });
  }

  /** Copies every member of `fromGenerationId` into a staged generation (one INSERT ... SELECT). */
  async copyMembers(fromGenerationId: number, toGenerationId: number): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await this.requireState(trx, toGenerationId, 'staged');
      await trx
        .insertInto('generation_members')
        .columns(['generation_id', 'revision_id', 'is_leaf', 'is_bundle_member'])
        .expression((eb) =>
          eb
            .selectFrom('generation_members')
            .select([
              sql.lit(toGenerationId).as('generation_id'),
              'revision_id',
              'is_leaf',
              'is_bundle_member',
            ])
            .where('generation_id', '=', fromGenerationId),
        )
        .onConflict((oc) => oc.columns(['generation_id', 'revision_id']).doNothing())
        .execute();
    });
  }

  /**
   * Makes a staged generation the active one, atomically: the previous active generation becomes
   * `retired` and is remembered for rollback. Readers see either the old or the new generation.
   */
  /**
   * Makes a staged generation the active one. `alsoInTransaction` runs inside the same transaction after the
   * switch (a replica's mirrored approvals: clients see the new catalog and its approvals at once, or neither).
   */
  async activate(
    generationId: number,
    now = Date.now(),
    alsoInTransaction?: (trx: Executor) => Promise<void>,
  ): Promise<GenerationRecord> {
    return inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      await this.requireState(trx, generationId, 'staged');
      // Checked under the switch lock, so a rollback that lands while a sync is staging still holds.
      const pin = await this.getPin(trx);
      if (pin !== undefined)
        throw new AppError(
          'PB_ERR_CATALOG_PINNED',
          `the catalog is pinned to generation ${pin.generationId}: run \`patchbay catalog unpin\` to resume activations`,
          { detail: { pinnedGenerationId: pin.generationId } },
        );
      const previous = await trx
        .selectFrom('catalog_generations')
        .select('generation_id')
        .where('state', '=', 'active')
        .executeTakeFirst();
      if (previous !== undefined)
        await trx
          .updateTable('catalog_generations')
          .set({ state: 'retired', retired_at: now })
          .where('generation_id', '=', previous.generation_id)
          .execute();
      const count = await trx
        .selectFrom('generation_members')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('generation_id', '=', generationId)
        .executeTakeFirstOrThrow();
      const row = await trx
        .updateTable('catalog_generations')
        .set({
          state: 'active',
          activated_at: now,
          previous_generation_id: previous?.generation_id ?? null,
          member_count: Number(count.n),
        })
        .where('generation_id', '=', generationId)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (alsoInTransaction) await alsoInTransaction(trx);
      return toGeneration(row);
    });
  }

  /**
   * `catalog rollback [--to N]`: generation N (default: the one the active generation replaced) becomes
   * active again and the active one `rolled_back`, and the catalog is pinned to N, all in one transaction, so
   * no later sync re-activates what the admin rolled back (until `unpin`). `--to` the active generation
   * only pins it. N must be retired or rolled back (its members are kept until pruned). A ringed rollout in
   * progress is aborted in the same transaction (its generation `rolled_back`).
   */
  async rollback(
    options: { to?: number; pinnedBy?: string } = {},
    now = Date.now(),
  ): Promise<{ active: GenerationRecord; replaced: GenerationRecord | undefined }> {
    return inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      const { active, target } = await this.rollbackTarget(options.to, trx);
      const targetId = target.generationId;
      let result: { active: GenerationRecord; replaced: GenerationRecord | undefined };
      if (targetId === active.generationId) result = { active, replaced: undefined };
      else {
        const replaced = await trx
          .updateTable('catalog_generations')
          .set({ state: 'rolled_back', retired_at: now })
          .where('generation_id', '=', active.generationId)
          .returningAll()
          .executeTakeFirstOrThrow();
        const row = await trx
          .updateTable('catalog_generations')
          .set({ state: 'active', activated_at: now, retired_at: null })
          .where('generation_id', '=', targetId)
          .returningAll()
          .executeTakeFirstOrThrow();
        result = { active: toGeneration(row), replaced: toGeneration(replaced) };
      }
      // A ringed change in progress ends with the rollback: every ring gets the rolled-back-to generation.
      const rollout = await trx
        .updateTable('catalog_rollouts')
        .set({ state: 'aborted', held_reason: 'catalog rollback', updated_at: now, finished_at: now })
        .where('state', 'in', ['soaking', 'held'])
        .returning('generation_id')
        .executeTakeFirst();
      if (rollout !== undefined)
        await trx
          .updateTable('catalog_generations')
          .set({ state: 'rolled_back', retired_at: now })
          .where('generation_id', '=', rollout.generation_id)
          .where('state', '=', 'rollout')
          .execute();
      const pin = { generation_id: targetId, pinned_at: now, pinned_by: options.pinnedBy ?? null };
      await trx
        .insertInto('catalog_pin')
        .values({ scope: 'catalog', ...pin })
        .onConflict((oc) => oc.column('scope').doUpdateSet(pin))
        .execute();
      return result;
    });
  }

  /**
   * The active generation and the one `rollback(to)` would serve (`catalog rollback --dry-run` shows the
   * difference); throws what `rollback` would throw.
   */
  async rollbackTarget(
    to: number | undefined,
    executor: Executor = this.db,
  ): Promise<{ active: GenerationRecord; target: GenerationRecord }> {
    const active = await executor
      .selectFrom('catalog_generations')
      .selectAll()
      .where('state', '=', 'active')
      .executeTakeFirst();
    if (active === undefined)
      throw new AppError('PB_ERR_CONFLICT', 'no active catalog generation to roll back');
    const targetId = to ?? active.previous_generation_id;
    if (targetId === null)
      throw new AppError(
        'PB_ERR_CONFLICT',
        `generation ${active.generation_id} has no previous generation to return to`,
      );
    if (targetId === active.generation_id)
      return { active: toGeneration(active), target: toGeneration(active) };
    const target = await executor
      .selectFrom('catalog_generations')
      .selectAll()
      .where('generation_id', '=', targetId)
      .executeTakeFirst();
    if (target === undefined)
      throw new AppError('PB_ERR_NOT_FOUND', `catalog generation ${targetId} does not exist (or was pruned)`);
    if (target.state !== 'retired' && target.state !== 'rolled_back')
      throw new AppError(
        'PB_ERR_CONFLICT',
        `generation ${targetId} is ${target.state}: only a retired or rolled-back generation can be served again`,
      );
    return { active: toGeneration(active), target: toGeneration(target) };
  }

  /** The pin, if `catalog rollback` set one. */
  async getPin(executor: Executor = this.db): Promise<CatalogPin | undefined> {
    const row = await executor
      .selectFrom('catalog_pin')
      .selectAll()
      .where('scope', '=', 'catalog')
      .executeTakeFirst();
    return row && { generationId: row.generation_id, pinnedAt: row.pinned_at, pinnedBy: row.pinned_by };
  }

  /** `catalog unpin`: the next sync activates again. Returns the pin it removed. */
  async unpin(): Promise<CatalogPin | undefined> {
    return inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      const pin = await this.getPin(trx);
      if (pin !== undefined) await trx.deleteFrom('catalog_pin').where('scope', '=', 'catalog').execute();
      return pin;
    });
  }

  /** A staged generation that failed validation is kept for inspection but never activated. */
  async abandon(generationId: number, now = Date.now()): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await this.requireState(trx, generationId, 'staged');
      await trx
        .updateTable('catalog_generations')
        .set({ state: 'abandoned', retired_at: now })
        .where('generation_id', '=', generationId)
        .execute();
    });
  }

  async getActive(): Promise<GenerationRecord | undefined> {
    const row = await this.db
      .selectFrom('catalog_generations')
      .selectAll()
      .where('state', '=', 'active')
      .executeTakeFirst();
    return row && toGeneration(row);
  }

  async get(generationId: number): Promise<GenerationRecord | undefined> {
    const row = await this.db
      .selectFrom('catalog_generations')
      .selectAll()
      .where('generation_id', '=', generationId)
      .executeTakeFirst();
    return row && toGeneration(row);
  }

  async list(limit = 50): Promise<GenerationRecord[]> {
    const rows = await this.db
      .selectFrom('catalog_generations')
      .selectAll()
      .orderBy('generation_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toGeneration);
  }

  /** Members in revision id order, paged by `afterRevisionId`. */
  async listMembers(
    generationId: number,
    page: { afterRevisionId?: number; limit?: number } = {},
  ): Promise<GenerationMember[]> {
    const rows = await this.db
      .selectFrom('generation_members')
      .select(['revision_id', 'is_leaf', 'is_bundle_member'])
      .where('generation_id', '=', generationId)
      .where('revision_id', '>', page.afterRevisionId ?? 0)
      .orderBy('revision_id')
      .limit(page.limit ?? 10_000)
      .execute();
    return rows.map((r) => ({
      revisionId: r.revision_id,
      isLeaf: r.is_leaf === 1,
      isBundleMember: r.is_bundle_member === 1,
    }));
  }

  /** Every member revision of a generation with what `catalog rollback --dry-run` shows of it (any order). */
  async memberUpdates(generationId: number): Promise<MemberUpdate[]> {
    const rows = await this.db
      .selectFrom('generation_members as gm')
      .innerJoin('revisions as r', 'r.revision_id', 'gm.revision_id')
      .select(['r.update_id', 'r.revision_number', 'r.update_type', 'r.title'])
      .where('gm.generation_id', '=', generationId)
      .execute();
    return rows.map((r) => ({
      updateId: r.update_id,
      revisionNumber: r.revision_number,
      updateType: r.update_type,
      title: r.title,
    }));
  }

  /**
   * The first of the three statements that delete a finished generation a batch at a time (`patchbay cleanup`,
   * src/maintenance): it becomes `abandoned`, which no rollback serves, so a generation losing its members over
   * several transactions is never a catalog again. False when it is no longer finished (active, staged, in a
   * rollout: a rollback made it active since it was planned) or gone.
   */
  async retireForPruning(generationId: number): Promise<boolean> {
    return inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      const row = await trx
        .updateTable('catalog_generations')
        .set({ state: 'abandoned' })
        .where('generation_id', '=', generationId)
        .where('state', 'in', ['retired', 'abandoned', 'rolled_back'])
        .returning('generation_id')
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  /** Deletes up to `limit` members of an abandoned generation (retireForPruning first); returns how many. */
  async deleteMembersBatch(generationId: number, limit: number): Promise<number> {
    const r = await this.db
      .deleteFrom('generation_members')
      .where('generation_id', '=', generationId)
      .where('revision_id', 'in', (eb) =>
        eb
          .selectFrom('generation_members as m')
          .innerJoin('catalog_generations as g', 'g.generation_id', 'm.generation_id')
          .select('m.revision_id')
          .where('m.generation_id', '=', generationId)
          .where('g.state', '=', 'abandoned')
          .limit(limit),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** The last statement: the abandoned generation's row, once deleteMembersBatch left it no member. */
  async deletePruned(generationId: number): Promise<boolean> {
    const r = await this.db
      .deleteFrom('catalog_generations')
      .where('generation_id', '=', generationId)
      .where('state', '=', 'abandoned')
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private async lock(trx: Executor): Promise<void> {
    await lockGenerationSwitch(trx, this.dialect);
  }

  private async requireState(trx: Executor, generationId: number, state: GenerationState): Promise<void> {
    const row = await trx
      .selectFrom('catalog_generations')
      .select('state')
      .where('generation_id', '=', generationId)
      .executeTakeFirst();
    if (row === undefined)
      throw new AppError('PB_ERR_NOT_FOUND', `catalog generation ${generationId} does not exist`);
    if (row.state !== state)
      throw new AppError(
        'PB_ERR_CONFLICT',
        `catalog generation ${generationId} is ${row.state}, not ${state}`,
      );
  }
}

function toGeneration(r: Selectable<CatalogGenerationsTable>): GenerationRecord {
  return {
    generationId: r.generation_id,
    state: r.state,
    previousGenerationId: r.previous_generation_id,
    syncRunId: r.sync_run_id,
    memberCount: r.member_count,
    note: r.note,
    createdAt: r.created_at,
    activatedAt: r.activated_at,
    retiredAt: r.retired_at,
  };
}
