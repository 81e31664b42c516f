import { sql, type Selectable } from 'kysely';
import { AppError } from '../../../errors.js';
import type { RingsTable } from '../database.js';
import type { DialectName } from '../dialect.js';
import { inTransaction, type Executor } from '../transaction.js';

/** The health gate of a ring (docs/rings.md "Gates"): percentages are 0..100. */
export interface RingGate {
  readonly soakMs: number;
  /** Computers of the ring that must have reported an install outcome for the update. */
  readonly minReported: number;
  /** Failed installs as a share of install outcomes, at most. */
  readonly maxFailurePercent: number;
  /** Computers that reported a detection failure or stopped scanning, as a share of the ring, at most. */
  readonly maxFaultPercent: number;
  /** Uninstall (rollback) events of the update in the ring, at most. */
  readonly maxUninstalls: number;
}

export interface RingInput extends RingGate {
  readonly name: string;
  readonly description?: string | null;
  /** Lower-case group ids; each group is in at most one ring. */
  readonly groupIds: readonly string[];
}

export interface RingRecord extends RingInput {
  readonly ringId: number;
  /** 0 for the first ring; positions are dense (0..n-1). */
  readonly position: number;
  readonly description: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type RingPatch = Partial<RingInput> & { readonly position?: number };

/** Rings kept at most, and groups per ring: a plan is walked stage by stage and the gates queried per ring. */
export const maxRings = 32;
export const maxGroupsPerRing = 256;

const parkedPosition = 1_000_000;

/** Advisory lock key for ring changes on PostgreSQL ("PBRNG"). */
const ringLockKey = 0x5042_524e47;

/**
 * The ordered rings and their groups (migration 0014). Changes run in one transaction serialised against other
 * ring changes (PostgreSQL advisory lock; SQLite has one writer), so positions stay dense and a group never
 * lands in two rings.
 */
export class RingRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  async list(): Promise<RingRecord[]> {
    return this.listOn(this.db);
  }

  async get(ringId: number): Promise<RingRecord | undefined> {
    return (await this.list()).find((r) => r.ringId === ringId);
  }

  /** Adds a ring at `position` (default: after the last), shifting the later rings down by one. */
  async create(input: RingInput & { readonly position?: number }, now = Date.now()): Promise<RingRecord> {
    return inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      const rings = await this.listOn(trx);
      if (rings.length >= maxRings)
        throw new AppError('PB_ERR_CONFLICT', `at most ${maxRings} rings can exist`);
      if (rings.some((r) => r.name.toLowerCase() === input.name.toLowerCase()))
        throw new AppError('PB_ERR_CONFLICT', `a ring named ${JSON.stringify(input.name)} exists`);
      const position = checkPosition(input.position ?? rings.length, rings.length);
      await this.checkGroups(trx, input.groupIds, undefined);
      // Two steps (out of the way, then back) so the unique position never collides mid-statement.
      await this.shift(trx, position, rings.length, +1);
      const row = await trx
        .insertInto('rings')
        .values({
          name: input.name,
          position,
          description: input.description ?? null,
          ...gateColumns(input),
          created_at: now,
          updated_at: now,
        })
        .returning('ring_id')
        .executeTakeFirstOrThrow();
      await this.writeGroups(trx, row.ring_id, input.groupIds, now);
      return (await this.listOn(trx)).find((r) => r.ringId === row.ring_id)!;
    });
  }

  /** Changes a ring's name, gate, groups (replacing the set) or position (the others close up around it). */
  async update(ringId: number, patch: RingPatch, now = Date.now()): Promise<RingRecord> {
    return inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      const rings = await this.listOn(trx);
      const ring = rings.find((r) => r.ringId === ringId);
      if (ring === undefined) throw new AppError('PB_ERR_NOT_FOUND', `ring ${ringId} does not exist`);
      if (
        patch.name !== undefined &&
        rings.some((r) => r.ringId !== ringId && r.name.toLowerCase() === patch.name!.toLowerCase())
      )
        throw new AppError('PB_ERR_CONFLICT', `a ring named ${JSON.stringify(patch.name)} exists`);
      if (patch.groupIds !== undefined) {
        await this.checkGroups(trx, patch.groupIds, ringId);
        await trx.deleteFrom('ring_groups').where('ring_id', '=', ringId).execute();
        await this.writeGroups(trx, ringId, patch.groupIds, now);
      }
      if (patch.position !== undefined && patch.position !== ring.position) {
        const to = checkPosition(patch.position, rings.length - 1);
        // Parked past every shifted range while the others close up and open the new gap.
        await trx
          .updateTable('rings')
          .set({ position: parkedPosition })
          .where('ring_id', '=', ringId)
          .execute();
        await this.shift(trx, ring.position + 1, rings.length, -1);
        await this.shift(trx, to, rings.length - 1, +1);
        await trx.updateTable('rings').set({ position: to }).where('ring_id', '=', ringId).execute();
      }
      const merged = { ...ring, ...patch };
      await trx
        .updateTable('rings')
        .set({
          name: merged.name,
          description: merged.description ?? null,
          ...gateColumns(merged),
          updated_at: now,
        })
        .where('ring_id', '=', ringId)
        .execute();
      return (await this.listOn(trx)).find((r) => r.ringId === ringId)!;
    });
  }

  /** Deletes a ring (its group assignments go with it); the later rings move up. */
  async delete(ringId: number): Promise<boolean> {
    return inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      const rings = await this.listOn(trx);
      const ring = rings.find((r) => r.ringId === ringId);
      if (ring === undefined) return false;
      await trx.deleteFrom('ring_groups').where('ring_id', '=', ringId).execute();
      await trx.deleteFrom('rings').where('ring_id', '=', ringId).execute();
      await this.shift(trx, ring.position + 1, rings.length, -1);
      return true;
    });
  }

  private async listOn(executor: Executor): Promise<RingRecord[]> {
    const rows = await executor.selectFrom('rings').selectAll().orderBy('position').execute();
    const groups = await executor
      .selectFrom('ring_groups')
      .select(['ring_id', 'group_id'])
      .orderBy('group_id')
      .execute();
    return rows.map((r) =>
      toRecord(
        r,
        groups.filter((g) => g.ring_id === r.ring_id).map((g) => g.group_id),
      ),
    );
  }

  /** Moves the rings at positions [from, to) by `delta`, through negative positions so none collide. */
  private async shift(trx: Executor, from: number, to: number, delta: 1 | -1): Promise<void> {
    if (from >= to) return;
    const moved = trx.updateTable('rings').where('position', '>=', from).where('position', '<', to);
    await moved.set((eb) => ({ position: eb(eb.neg(eb.ref('position')), '-', 1) })).execute();
    await trx
      .updateTable('rings')
      .set((eb) => ({ position: eb(eb(eb.neg(eb.ref('position')), '-', 1), '+', delta) }))
      .where('position', '<', 0)
      .execute();
  }

  private async checkGroups(trx: Executor, groupIds: readonly string[], ringId: number | undefined) {
    const ids = [...new Set(groupIds)];
    if (ids.length > maxGroupsPerRing)
      throw new AppError('PB_ERR_INVALID_PARAMETER', `a ring has at most ${maxGroupsPerRing} groups`);
    if (ids.length === 0) return;
    const known = await trx
      .selectFrom('computer_groups')
      .select('group_id')
      .where('group_id', 'in', ids)
      .execute();
    const missing = ids.filter((id) => !known.some((k) => k.group_id === id));
    if (missing.length > 0)
      throw new AppError('PB_ERR_NOT_FOUND', `group ${missing[0]} does not exist`, {
        detail: { parameter: 'groups' },
      });
    const taken = await trx
      .selectFrom('ring_groups')
      .innerJoin('rings', 'rings.ring_id', 'ring_groups.ring_id')
      .innerJoin('computer_groups', 'computer_groups.group_id', 'ring_groups.group_id')
      .select(['computer_groups.name as groupName', 'rings.name as ringName', 'rings.ring_id'])
      .where('ring_groups.group_id', 'in', ids)
      .execute();
    const clash = taken.find((r) => r.ring_id !== ringId);
    if (clash !== undefined)
      throw new AppError(
        'PB_ERR_CONFLICT',
        `group ${clash.groupName} is already in ring ${clash.ringName}: a group belongs to at most one ring`,
      );
  }

  private async writeGroups(trx: Executor, ringId: number, groupIds: readonly string[], now: number) {
    const ids = [...new Set(groupIds)];
    if (ids.length === 0) return;
    await trx
      .insertInto('ring_groups')
      .values(ids.map((g) => ({ group_id: g, ring_id: ringId, added_at: now })))
      .execute();
  }

  private async lock(trx: Executor): Promise<void> {
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${ringLockKey})`.execute(trx);
  }
}

function checkPosition(position: number, last: number): number {
  if (!Number.isInteger(position) || position < 0 || position > last)
    throw new AppError('PB_ERR_INVALID_PARAMETER', `ring position must be 0..${last}, got ${position}`, {
      detail: { parameter: 'position' },
    });
  return position;
}

function gateColumns(g: RingGate) {
  return {
    soak_ms: g.soakMs,
    min_reported: g.minReported,
    max_failure_percent: g.maxFailurePercent,
    max_fault_percent: g.maxFaultPercent,
    max_uninstalls: g.maxUninstalls,
  };
}

function toRecord(r: Selectable<RingsTable>, groupIds: string[]): RingRecord {
  return {
    ringId: r.ring_id,
    name: r.name,
    position: r.position,
    description: r.description,
    soakMs: Number(r.soak_ms),
    minReported: r.min_reported,
    maxFailurePercent: Number(r.max_failure_percent),
    maxFaultPercent: Number(r.max_fault_percent),
    maxUninstalls: r.max_uninstalls,
    groupIds,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
