import type { Selectable } from 'kysely';
import { AppError } from '../../../errors.js';
import type { RolloutState, RolloutsTable } from '../database.js';
import { inTransaction, type Executor } from '../transaction.js';

/** One stage of a rollout's plan: a ring (by id, with its name when planned) and the deadline offset. */
export interface RolloutStage {
  readonly ringId: number;
  readonly ringName: string;
  /** Deadline of the ring's approvals, after the stage starts (ms); null: no deadline. */
  readonly deadlineOffsetMs: number | null;
}

export interface RolloutInput {
  readonly updateId: string;
  readonly action: 'install';
  readonly plan: readonly RolloutStage[];
  readonly createdBy: string;
  readonly createdVia: string;
  readonly ruleId?: number | null;
}

export interface RolloutRecord {
  readonly rolloutId: number;
  readonly updateId: string;
  readonly action: string;
  readonly state: RolloutState;
  /** Index of the current stage in `plan`. */
  readonly position: number;
  readonly stageStartedAt: number;
  readonly plan: readonly RolloutStage[];
  /** Why it does not move on (the last gate evaluation), or why it was paused. */
  readonly holdReason: string | null;
  readonly evidence: unknown;
  readonly ruleId: number | null;
  readonly createdBy: string;
  readonly createdVia: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

export interface RolloutHistoryEntry {
  readonly historyId: number;
  readonly rolloutId: number;
  readonly at: number;
  readonly event: string;
  readonly position: number;
  readonly actor: string;
  readonly detail: unknown;
}

/** The state a transition expects to find: it changes nothing when another node (or admin) moved first. */
export interface RolloutExpectation {
  readonly state: RolloutState;
  readonly position: number;
  readonly stageStartedAt: number;
}

export interface RolloutChange {
  readonly state: RolloutState;
  readonly position: number;
  readonly stageStartedAt: number;
  readonly holdReason: string | null;
  readonly evidence?: unknown;
  readonly finishedAt?: number | null;
}

/** Rollouts kept listed per call; history rows per rollout read back at most. */
export const maxRolloutsListed = 1000;
const maxHistoryRead = 1000;

/**
 * Ringed approvals (migration 0014). Every stage change is a conditional update on the state, stage and stage
 * start it was decided from, with its history row in the same transaction: of two nodes (or a node and an
 * admin) acting on the same evaluation, exactly one changes the row, the other sees `false` and does nothing.
 */
export class RolloutRepository {
  constructor(private readonly db: Executor) {}

  async create(input: RolloutInput, now = Date.now()): Promise<RolloutRecord> {
    if (input.plan.length === 0) throw new AppError('PB_ERR_INVALID_PARAMETER', 'a rollout needs a ring');
    const updateId = input.updateId.toLowerCase();
    return inTransaction(this.db, async (trx) => {
      const active = await trx
        .selectFrom('rollouts')
        .select('rollout_id')
        .where('update_id', '=', updateId)
        .where('state', 'in', ['running', 'paused'])
        .executeTakeFirst();
      if (active !== undefined)
        throw new AppError(
          'PB_ERR_CONFLICT',
          `update ${updateId} already has rollout ${active.rollout_id}; stop it first`,
        );
      const row = await trx
        .insertInto('rollouts')
        .values({
          update_id: updateId,
          action: input.action,
          state: 'running',
          position: 0,
          stage_started_at: now,
          plan: JSON.stringify(input.plan),
          hold_reason: null,
          evidence: null,
          rule_id: input.ruleId ?? null,
          created_by: input.createdBy,
          created_via: input.createdVia,
          created_at: now,
          updated_at: now,
          finished_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendHistory(trx, row.rollout_id, now, 'started', 0, input.createdBy, {
        ring: input.plan[0]!.ringName,
      });
      return toRecord(row);
    });
  }

  async get(rolloutId: number): Promise<RolloutRecord | undefined> {
    const row = await this.db
      .selectFrom('rollouts')
      .selectAll()
      .where('rollout_id', '=', rolloutId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Rollouts in the given states (all when omitted), newest first, at most `maxRolloutsListed`. */
  async list(filter: { states?: readonly RolloutState[]; updateId?: string } = {}): Promise<RolloutRecord[]> {
    let q = this.db.selectFrom('rollouts').selectAll();
    if (filter.states !== undefined && filter.states.length > 0)
      q = q.where('state', 'in', [...filter.states]);
    if (filter.updateId !== undefined) q = q.where('update_id', '=', filter.updateId.toLowerCase());
    const rows = await q.orderBy('rollout_id', 'desc').limit(maxRolloutsListed).execute();
    return rows.map(toRecord);
  }

  /** Ringed approvals per state (every state present, 0 when none): the /metrics gauge. */
  async countByState(): Promise<Record<RolloutState, number>> {
    const rows = await this.db
      .selectFrom('rollouts')
      .select(['state', (eb) => eb.fn.countAll<number | string | bigint>().as('n')])
      .groupBy('state')
      .execute();
    const out: Record<RolloutState, number> = { running: 0, paused: 0, completed: 0, stopped: 0 };
    for (const r of rows) if (r.state in out) out[r.state] = Number(r.n);
    return out;
  }

  /** The ring ids of every running or paused rollout's plan (a ring they use cannot be deleted). */
  async activeRingIds(): Promise<Set<number>> {
    const rows = await this.list({ states: ['running', 'paused'] });
    return new Set(rows.flatMap((r) => r.plan.map((s) => s.ringId)));
  }

  /**
   * Moves a rollout from `expect` to `change` and appends `event` to its history, atomically; false (nothing
   * written) when the rollout is no longer in the expected state, stage and stage start.
   */
  async transition(
    rolloutId: number,
    expect: RolloutExpectation,
    change: RolloutChange,
    event: { readonly event: string; readonly actor: string; readonly detail?: unknown },
    now = Date.now(),
  ): Promise<boolean> {
    return inTransaction(this.db, async (trx) => {
      const r = await trx
        .updateTable('rollouts')
        .set({
          state: change.state,
          position: change.position,
          stage_started_at: change.stageStartedAt,
          hold_reason: change.holdReason,
          evidence: change.evidence === undefined ? null : JSON.stringify(change.evidence),
          finished_at: change.finishedAt ?? null,
          updated_at: now,
        })
        .where('rollout_id', '=', rolloutId)
        .where('state', '=', expect.state)
        .where('position', '=', expect.position)
        .where('stage_started_at', '=', expect.stageStartedAt)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await appendHistory(trx, rolloutId, now, event.event, change.position, event.actor, event.detail);
      return true;
    });
  }

  /** Records the latest reason a running rollout waits (no history row: it changes on every evaluation). */
  async noteHold(rolloutId: number, expect: RolloutExpectation, holdReason: string): Promise<void> {
    await this.db
      .updateTable('rollouts')
      .set({ hold_reason: holdReason })
      .where('rollout_id', '=', rolloutId)
      .where('state', '=', expect.state)
      .where('position', '=', expect.position)
      .where('stage_started_at', '=', expect.stageStartedAt)
      .execute();
  }

  /** The history of one rollout, oldest first. */
  async history(rolloutId: number): Promise<RolloutHistoryEntry[]> {
    const rows = await this.db
      .selectFrom('rollout_history')
      .selectAll()
      .where('rollout_id', '=', rolloutId)
      .orderBy('history_id')
      .limit(maxHistoryRead)
      .execute();
    return rows.map((r) => ({
      historyId: Number(r.history_id),
      rolloutId: r.rollout_id,
      at: Number(r.at),
      event: r.event,
      position: r.position,
      actor: r.actor,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }));
  }
}

async function appendHistory(
  trx: Executor,
  rolloutId: number,
  at: number,
  event: string,
  position: number,
  actor: string,
  detail: unknown,
): Promise<void> {
  await trx
    .insertInto('rollout_history')
    .values({
      rollout_id: rolloutId,
      at,
      event,
      position,
      actor,
      detail: detail === undefined ? null : JSON.stringify(detail),
    })
    .execute();
}

function toRecord(r: Selectable<RolloutsTable>): RolloutRecord {
  return {
    rolloutId: r.rollout_id,
    updateId: r.update_id,
    action: r.action,
    state: r.state,
    position: r.position,
    stageStartedAt: Number(r.stage_started_at),
    plan: JSON.parse(r.plan) as RolloutStage[],
    holdReason: r.hold_reason,
    evidence: r.evidence === null ? null : (JSON.parse(r.evidence) as unknown),
    ruleId: r.rule_id,
    createdBy: r.created_by,
    createdVia: r.created_via,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}
