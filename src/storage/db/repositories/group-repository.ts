import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { AppError } from '../../../errors.js';
import type { ComputerGroupsTable } from '../database.js';
import type { DialectName } from '../dialect.js';
import { chunkRows, inTransaction, type Executor } from '../transaction.js';

export const allComputersGroup = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421';
export const unassignedComputersGroup = 'b73ca6ed-5727-47f3-84de-015e03f6a88a';

export interface GroupRecord {
  readonly groupId: string;
  readonly name: string;
  readonly parentGroupId: string | null;
  readonly description: string | null;
  readonly isBuiltin: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Longest chain walked when checking for cycles; deeper trees are refused (and unrealistic). */
const maxDepth = 64;
/** Advisory lock key for group-tree changes on PostgreSQL ("PBGRP"). */
const groupTreeLockKey = 0x5042_475250;

/**
 * Computer groups (a tree under "All Computers") and memberships. Moves that would make a group its
 * own ancestor are refused here, in code, inside a transaction serialised against other tree changes.
 */
export class GroupRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectName,
  ) {}

  async create(
    input: { name: string; parentGroupId?: string; description?: string; groupId?: string },
    now = Date.now(),
  ): Promise<GroupRecord> {
    return inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      const parent = (input.parentGroupId ?? allComputersGroup).toLowerCase();
      await this.require(trx, parent);
      const row = await trx
        .insertInto('computer_groups')
        .values({
          group_id: (input.groupId ?? randomUUID()).toLowerCase(),
          name: input.name,
          parent_group_id: parent,
          description: input.description ?? null,
          is_builtin: 0,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    });
  }

  async rename(groupId: string, name: string, now = Date.now()): Promise<void> {
    const r = await this.db
      .updateTable('computer_groups')
      .set({ name, updated_at: now })
      .where('group_id', '=', groupId.toLowerCase())
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0)
      throw new AppError('PB_ERR_NOT_FOUND', `group ${groupId} does not exist`);
  }

  /** Re-parents a group; refuses built-in groups and any move that would create a cycle. */
  async move(groupId: string, newParentId: string, now = Date.now()): Promise<void> {
    const id = groupId.toLowerCase();
    const parent = newParentId.toLowerCase();
    await inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      const group = await this.require(trx, id);
      if (group.isBuiltin)
        throw new AppError('PB_ERR_CONFLICT', `built-in group ${group.name} cannot be moved`);
      await this.require(trx, parent);
      const chain = await this.ancestorIds(trx, parent);
      if (parent === id || chain.includes(id))
        throw new AppError('PB_ERR_CONFLICT', `moving group ${id} under ${parent} would create a cycle`, {
          detail: { groupId: id, parentGroupId: parent },
        });
      await trx
        .updateTable('computer_groups')
        .set({ parent_group_id: parent, updated_at: now })
        .where('group_id', '=', id)
        .execute();
    });
  }

  /**
   * Deletes a group without child groups; its computers that end up in no group go to Unassigned
   * (as WSUS does). Approvals for the group are deleted with it.
   */
  async delete(groupId: string, now = Date.now()): Promise<void> {
    const id = groupId.toLowerCase();
    await inTransaction(this.db, async (trx) => {
      await this.lock(trx);
      const group = await this.require(trx, id);
      if (group.isBuiltin)
        throw new AppError('PB_ERR_CONFLICT', `built-in group ${group.name} cannot be deleted`);
      const child = await trx
        .selectFrom('computer_groups')
        .select('group_id')
        .where('parent_group_id', '=', id)
        .executeTakeFirst();
      if (child !== undefined) throw new AppError('PB_ERR_CONFLICT', `group ${group.name} has child groups`);
      const ring = await trx
        .selectFrom('ring_groups')
        .innerJoin('rings', 'rings.ring_id', 'ring_groups.ring_id')
        .select('rings.name')
        .where('ring_groups.group_id', '=', id)
        .executeTakeFirst();
      // Deleting it would silently change which ring its computers are in (docs/rings.md).
      if (ring !== undefined)
        throw new AppError(
          'PB_ERR_CONFLICT',
          `group ${group.name} is in ring ${ring.name}; remove it from the ring first (patchbay rings set)`,
        );
      const members = await trx
        .selectFrom('group_memberships')
        .select('computer_id')
        .where('group_id', '=', id)
        .execute();
      await trx.deleteFrom('group_memberships').where('group_id', '=', id).execute();
      await trx.deleteFrom('approvals').where('group_id', '=', id).execute();
      await trx.deleteFrom('computer_groups').where('group_id', '=', id).execute();
      const memberIds = members.map((m) => m.computer_id);
      for (const chunk of chunkRows(memberIds, 1, 4000)) {
        const still = await trx
          .selectFrom('group_memberships')
          .select('computer_id')
          .where('computer_id', 'in', chunk)
          .distinct()
          .execute();
        const stillSet = new Set(still.map((s) => s.computer_id));
        const orphans = chunk.filter((c) => !stillSet.has(c));
        if (orphans.length > 0)
          await trx
            .insertInto('group_memberships')
            .values(
              orphans.map((c) => ({
                computer_id: c,
                group_id: unassignedComputersGroup,
                source: 'server',
                added_at: now,
              })),
            )
            .execute();
      }
    });
  }

  async get(groupId: string): Promise<GroupRecord | undefined> {
    const row = await this.db
      .selectFrom('computer_groups')
      .selectAll()
      .where('group_id', '=', groupId.toLowerCase())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(): Promise<GroupRecord[]> {
    const rows = await this.db.selectFrom('computer_groups').selectAll().orderBy('name').execute();
    return rows.map(toRecord);
  }

  /** The group's ancestors, nearest first (for approval inheritance). */
  async ancestors(groupId: string): Promise<string[]> {
    return this.ancestorIds(this.db, groupId.toLowerCase());
  }

  /**
   * Sets a computer's memberships of one source ('server' = assigned by an admin, 'client' = client-side
   * targeting), replacing that source's previous set. A computer with no group at all lands in Unassigned.
   */
  async setMemberships(
    computerId: string,
    groupIds: readonly string[],
    source: 'server' | 'client',
    now = Date.now(),
  ) {
    const cid = computerId.toLowerCase();
    const wanted = [...new Set(groupIds.map((g) => g.toLowerCase()))].filter((g) => g !== allComputersGroup);
    await inTransaction(this.db, async (trx) => {
      await trx
        .deleteFrom('group_memberships')
        .where('computer_id', '=', cid)
        .where('source', '=', source)
        .execute();
      if (wanted.length > 0) {
        await trx
          .deleteFrom('group_memberships')
          .where('computer_id', '=', cid)
          .where('group_id', '=', unassignedComputersGroup)
          .execute();
        await trx
          .insertInto('group_memberships')
          .values(wanted.map((g) => ({ computer_id: cid, group_id: g, source, added_at: now })))
          .onConflict((oc) => oc.columns(['computer_id', 'group_id']).doNothing())
          .execute();
      }
      const any = await trx
        .selectFrom('group_memberships')
        .select('group_id')
        .where('computer_id', '=', cid)
        .executeTakeFirst();
      if (any === undefined)
        await trx
          .insertInto('group_memberships')
          .values({ computer_id: cid, group_id: unassignedComputersGroup, source: 'server', added_at: now })
          .execute();
    });
  }

  async groupsOf(computerId: string): Promise<{ groupId: string; source: string }[]> {
    const rows = await this.db
      .selectFrom('group_memberships')
      .select(['group_id', 'source'])
      .where('computer_id', '=', computerId.toLowerCase())
      .orderBy('group_id')
      .execute();
    return rows.map((r) => ({ groupId: r.group_id, source: r.source }));
  }

  async members(groupId: string, page: { afterComputerId?: string; limit?: number } = {}): Promise<string[]> {
    const rows = await this.db
      .selectFrom('group_memberships')
      .select('computer_id')
      .where('group_id', '=', groupId.toLowerCase())
      .where('computer_id', '>', page.afterComputerId ?? '')
      .orderBy('computer_id')
      .limit(page.limit ?? 1000)
      .execute();
    return rows.map((r) => r.computer_id);
  }

  private async ancestorIds(executor: Executor, groupId: string): Promise<string[]> {
    const out: string[] = [];
    let current: string | null = groupId;
    for (let depth = 0; current !== null; depth++) {
      if (depth > maxDepth)
        throw new AppError('PB_ERR_CONFLICT', `group tree deeper than ${maxDepth} levels`);
      const row: { parent_group_id: string | null } | undefined = await executor
        .selectFrom('computer_groups')
        .select('parent_group_id')
        .where('group_id', '=', current)
        .executeTakeFirst();
      current = row?.parent_group_id ?? null;
      if (current !== null) {
        if (out.includes(current)) throw new AppError('PB_ERR_DB', `group tree has a cycle at ${current}`);
        out.push(current);
      }
    }
    return out;
  }

  private async require(executor: Executor, groupId: string): Promise<GroupRecord> {
    const row = await executor
      .selectFrom('computer_groups')
      .selectAll()
      .where('group_id', '=', groupId)
      .executeTakeFirst();
    if (row === undefined) throw new AppError('PB_ERR_NOT_FOUND', `group ${groupId} does not exist`);
    return toRecord(row);
  }

  private async lock(trx: Executor): Promise<void> {
    if (this.dialect === 'postgres')
      await sql`select pg_advisory_xact_lock(${groupTreeLockKey})`.execute(trx);
  }
}

function toRecord(r: Selectable<ComputerGroupsTable>): GroupRecord {
  return {
    groupId: r.group_id,
    name: r.name,
    parentGroupId: r.parent_group_id,
    description: r.description,
    isBuiltin: r.is_builtin === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
