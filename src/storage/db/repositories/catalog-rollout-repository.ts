import type { Selectable } from 'kysely';
import { AppError } from '../../../errors.js';
import type { CatalogRolloutsTable, CatalogRolloutState } from '../database.js';
import type { DialectName } from '../dialect.js';
import { chunkRows, inTransaction, type Executor } from '../transaction.js';
import { lockGenerationSwitch } from './generation-repository.js';

export interface CatalogRolloutRecord {
  readonly rolloutId: number;
  readonly generationId: number;
  /** The generation every ring after `ringIndex` keeps being served (the active one when it started). */
  readonly previousGenerationId: number | null;
  readonly state: CatalogRolloutState;
  /** Rings 0..ringIndex are served the rollout's generation. */
  readonly ringIndex: number;
  readonly ringEnteredAt: number;
  readonly heldReason: string | null;
  readonly membersDigest: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

export type RolloutScanEvent = 'started' | 'completed' | 'faulted';

/** One computer of the rings 0..r with its scans of a rollout generation (ringEvidence). */
export interface RingEvidenceRow {
  readonly computerId: string;
  /** Its groups among the ones asked for. */
  readonly groupIds: readonly string[];
  readonly lastSyncAt: number | null;
  readonly startedAt: number | null;
  readonly completedAt: number | null;
  readonly faultedAt: number | null;
  readonly faultCode: string | null;
}

const inProgress: CatalogRolloutState[] = ['soaking', 'held'];

/**
 * Ringed catalog changes (migration 0015). Every transition is one conditional UPDATE under the generation
 * switch lock, so of several nodes evaluating the same gate only one moves the rollout (the others get
 * `undefined`), and a restart resumes from the row.
 */
export class CatalogRolloutRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  /** The rollout in progress (soaking or held), if any: at most one at a time. */
  async current(executor: Executor = this.db): Promise<CatalogRolloutRecord | undefined> {
    const row = await executor
      .selectFrom('catalog_rollouts')
      .selectAll()
      .where('state', 'in', inProgress)
      .orderBy('rollout_id', 'desc')
      .executeTakeFirst();
    return row && toRollout(row);
  }

  /** The newest rollout in any state. */
  async latest(): Promise<CatalogRolloutRecord | undefined> {
    const row = await this.db
      .selectFrom('catalog_rollouts')
      .selectAll()
      .orderBy('rollout_id', 'desc')
      .executeTakeFirst();
    return row && toRollout(row);
  }

  async list(limit = 20): Promise<CatalogRolloutRecord[]> {
    const rows = await this.db
      .selectFrom('catalog_rollouts')
      .selectAll()
      .orderBy('rollout_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRollout);
  }

  /**
   * Starts serving a staged generation to ring 0: it becomes `rollout` (the active one stays active for
   * everyone else). Refused while the catalog is pinned (PB_ERR_CATALOG_PINNED, as activate) or while
   * another rollout is in progress (PB_ERR_CONFLICT).
   */
  async start(generationId: number, membersDigest: string, now = Date.now()): Promise<CatalogRolloutRecord> {
    return inTransaction(this.db, async (trx) => {
      await lockGenerationSwitch(trx, this.dialect);
      const pin = await trx
        .selectFrom('catalog_pin')
        .select('generation_id')
        .where('scope', '=', 'catalog')
        .executeTakeFirst();
      if (pin !== undefined)
        throw new AppError(
          'PB_ERR_CATALOG_PINNED',
          `the catalog is pinned to generation ${pin.generation_id}: run \`patchbay catalog unpin\` to resume activations`,
          { detail: { pinnedGenerationId: pin.generation_id } },
        );
      const running = await this.current(trx);
      if (running !== undefined)
        throw new AppError(
          'PB_ERR_CONFLICT',
          `generation ${running.generationId} is still rolling out (${running.state} in ring ${running.ringIndex})`,
        );
      const staged = await trx
        .selectFrom('catalog_generations')
        .select('state')
        .where('generation_id', '=', generationId)
        .executeTakeFirst();
      if (staged?.state !== 'staged')
        throw new AppError('PB_ERR_CONFLICT', `catalog generation ${generationId} is not staged`);
      const active = await trx
        .selectFrom('catalog_generations')
        .select('generation_id')
        .where('state', '=', 'active')
        .executeTakeFirst();
      const count = await trx
        .selectFrom('generation_members')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('generation_id', '=', generationId)
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('catalog_generations')
        .set({
          state: 'rollout',
          previous_generation_id: active?.generation_id ?? null,
          member_count: Number(count.n),
        })
        .where('generation_id', '=', generationId)
        .execute();
      const row = await trx
        .insertInto('catalog_rollouts')
        .values({
          generation_id: generationId,
          previous_generation_id: active?.generation_id ?? null,
          state: 'soaking',
          ring_index: 0,
          ring_entered_at: now,
          held_reason: null,
          members_digest: membersDigest,
          created_at: now,
          updated_at: now,
          finished_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRollout(row);
    });
  }

  /**
   * Moves the rollout from ring `fromRing` to `toRing` (soaking there from `now`), only if it is still in
   * progress at `fromRing`; `toRing >= lastRing` completes it: the generation becomes the active one for
   * everyone (the previous active one retired, kept for `catalog rollback`). Undefined when another node
   * (or the admin) moved it first.
   */
  async promote(
    rolloutId: number,
    step: { fromRing: number; toRing: number; lastRing: number },
    now = Date.now(),
  ): Promise<CatalogRolloutRecord | undefined> {
    return inTransaction(this.db, async (trx) => {
      await lockGenerationSwitch(trx, this.dialect);
      const completes = step.toRing >= step.lastRing;
      const row = await trx
        .updateTable('catalog_rollouts')
        .set({
          state: completes ? 'completed' : 'soaking',
          ring_index: completes ? step.lastRing : step.toRing,
          ring_entered_at: now,
          held_reason: null,
          updated_at: now,
          finished_at: completes ? now : null,
        })
        .where('rollout_id', '=', rolloutId)
        .where('ring_index', '=', step.fromRing)
        .where('state', 'in', inProgress)
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) return undefined;
      if (completes) {
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
        await trx
          .updateTable('catalog_generations')
          .set({
            state: 'active',
            activated_at: now,
            previous_generation_id: previous?.generation_id ?? null,
          })
          .where('generation_id', '=', row.generation_id)
          .execute();
      }
      return toRollout(row);
    });
  }

  /** Holds the rollout where it is, with the reason; undefined if it is no longer soaking at `ringIndex`. */
  async hold(
    rolloutId: number,
    at: { ringIndex: number; reason: string },
    now = Date.now(),
  ): Promise<CatalogRolloutRecord | undefined> {
    const row = await this.db
      .updateTable('catalog_rollouts')
      .set({ state: 'held', held_reason: at.reason, updated_at: now })
      .where('rollout_id', '=', rolloutId)
      .where('ring_index', '=', at.ringIndex)
      .where('state', '=', 'soaking')
      .returningAll()
      .executeTakeFirst();
    return row && toRollout(row);
  }

  /**
   * Ends the rollout: every ring is served the previous generation again; the rollout's generation becomes
   * `rolled_back` (kept until pruned). Undefined if it was no longer in progress.
   */
  async abort(
    rolloutId: number,
    reason: string,
    now = Date.now(),
  ): Promise<CatalogRolloutRecord | undefined> {
    return inTransaction(this.db, async (trx) => {
      await lockGenerationSwitch(trx, this.dialect);
      const row = await trx
        .updateTable('catalog_rollouts')
        .set({ state: 'aborted', held_reason: reason, updated_at: now, finished_at: now })
        .where('rollout_id', '=', rolloutId)
        .where('state', 'in', inProgress)
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) return undefined;
      await trx
        .updateTable('catalog_generations')
        .set({ state: 'rolled_back', retired_at: now })
        .where('generation_id', '=', row.generation_id)
        .where('state', '=', 'rollout')
        .execute();
      return toRollout(row);
    });
  }

  /** Records a computer's scan of a rollout generation (first start, last completion, last fault). */
  async recordScan(
    generationId: number,
    computerId: string,
    event: RolloutScanEvent,
    now = Date.now(),
    faultCode?: string,
  ): Promise<void> {
    const set =
      event === 'started'
        ? { started_at: now }
        : event === 'completed'
          ? { completed_at: now }
          : { faulted_at: now, fault_code: faultCode ?? null };
    await this.db
      .insertInto('rollout_scans')
      .values({
        generation_id: generationId,
        computer_id: computerId,
        started_at: event === 'faulted' ? null : now,
        completed_at: null,
        faulted_at: null,
        fault_code: null,
        ...set,
      })
      .onConflict((oc) =>
        // A first start is kept: "started" means the computer reached this generation at least once.
        oc
          .columns(['generation_id', 'computer_id'])
          .doUpdateSet(event === 'started' ? { computer_id: computerId } : set),
      )
      .execute();
  }

  /**
   * Every computer with a membership in one of `groupIds` (the groups of rings 0..r), with its last sync
   * time and its scans of `generationId`: the caller assigns each computer its ring.
   */
  async ringEvidence(generationId: number, groupIds: readonly string[]): Promise<RingEvidenceRow[]> {
    const byComputer = new Map<string, RingEvidenceRow & { groupIds: string[] }>();
    for (const chunk of chunkRows(groupIds, 1, 4000)) {
      if (chunk.length === 0) continue;
      const rows = await this.db
        .selectFrom('group_memberships as m')
        .innerJoin('computers as c', 'c.computer_id', 'm.computer_id')
        .leftJoin('rollout_scans as s', (j) =>
          j.onRef('s.computer_id', '=', 'm.computer_id').on('s.generation_id', '=', generationId),
        )
        .select([
          'm.computer_id',
          'm.group_id',
          'c.last_sync_at',
          's.started_at',
          's.completed_at',
          's.faulted_at',
          's.fault_code',
        ])
        .where('m.group_id', 'in', chunk)
        .execute();
      for (const r of rows) {
        const seen = byComputer.get(r.computer_id);
        if (seen !== undefined) seen.groupIds.push(r.group_id);
        else
          byComputer.set(r.computer_id, {
            computerId: r.computer_id,
            groupIds: [r.group_id],
            lastSyncAt: r.last_sync_at === null ? null : Number(r.last_sync_at),
            startedAt: num(r.started_at),
            completedAt: num(r.completed_at),
            faultedAt: num(r.faulted_at),
            faultCode: r.fault_code ?? null,
          });
      }
    }
    return [...byComputer.values()];
  }

  /** Drops the scan evidence of finished rollouts' generations except the newest `keep` rollouts. */
  async pruneScans(keep: number): Promise<number> {
    const old = await this.db
      .selectFrom('catalog_rollouts')
      .select('generation_id')
      .where('state', 'in', ['completed', 'aborted'])
      .orderBy('rollout_id', 'desc')
      .offset(Math.max(0, keep))
      .limit(1000)
      .execute();
    if (old.length === 0) return 0;
    const r = await this.db
      .deleteFrom('rollout_scans')
      .where(
        'generation_id',
        'in',
        old.map((o) => o.generation_id),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function num(v: number | string | null | undefined): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function toRollout(r: Selectable<CatalogRolloutsTable>): CatalogRolloutRecord {
  return {
    rolloutId: r.rollout_id,
    generationId: r.generation_id,
    previousGenerationId: r.previous_generation_id,
    state: r.state,
    ringIndex: r.ring_index,
    ringEnteredAt: Number(r.ring_entered_at),
    heldReason: r.held_reason,
    membersDigest: r.members_digest,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}
