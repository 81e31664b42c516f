import { allComputersGroupId, unassignedComputersGroupId } from '../domain/index.js';
import { closestName } from '../config/index.js';
import { AppError, isAppError } from '../errors.js';
import { actorText, type AdminActor } from './admin-actor.js';
import {
  applyClientTargeting,
  readTargetingMode,
  targetingModeSetting,
  type ClientTargetingResult,
  type TargetingMode,
} from './client-targeting.js';
import { requireGuid, requireName } from './admin-input.js';
import { autonomous, type ReplicaGuard } from './replica-guard.js';
import { unknownNameError } from './unknown-name.js';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './admin-paging.js';
import type { AdminStores, AdminStore } from './admin-store.js';

export { targetingModeSetting, type ClientTargetingResult, type TargetingMode };

export interface GroupView {
  readonly groupId: string;
  readonly name: string;
  readonly parentGroupId: string | null;
  readonly description: string | null;
  readonly isBuiltin: boolean;
  /** Names from the root, e.g. `All Computers/Servers/Ring 0`. */
  readonly path: string;
  readonly memberCount: number;
}

/** Computer groups: the tree, memberships, and the targeting mode. Every change is audited. */
export class GroupsService {
  constructor(
    private readonly store: AdminStore,
    /** `[upstream] mode = replica`: the group tree comes from the upstream; memberships stay local. */
    private readonly replica: ReplicaGuard = autonomous,
  ) {}

  async list(
    filter: { text?: string; parentGroupId?: string } = {},
    page: PageRequest = {},
  ): Promise<Page<GroupView>> {
    const limit = pageLimit(page.limit);
    const after = decodeCursor(page.cursor, ['string', 'string']);
    let views = await this.views();
    if (filter.text !== undefined) {
      const t = filter.text.toLowerCase();
      views = views.filter((v) => v.name.toLowerCase().includes(t) || v.groupId === t);
    }
    if (filter.parentGroupId !== undefined) {
      const p = requireGuid(filter.parentGroupId, 'parent');
      views = views.filter((v) => v.parentGroupId === p);
    }
    views.sort((a, b) => cmp(a.path.toLowerCase(), b.path.toLowerCase()) || cmp(a.groupId, b.groupId));
    if (after !== undefined) {
      const [p, id] = after as [string, string];
      views = views.filter((v) => {
        const c = cmp(v.path.toLowerCase(), p);
        return c > 0 || (c === 0 && v.groupId > id);
      });
    }
    return toPage(
      views.slice(0, limit + 1),
      limit,
      (v) => v,
      (v) => [v.path.toLowerCase(), v.groupId],
    );
  }

  /**
   * A group named as a parameter (a target or a filter rather than the subject of the command): an unknown
   * name is bad input (exit 65, HTTP 400) with a did-you-mean, not "not found", because the command did
   * not fail to find its object, the admin mistyped an argument.
   */
  async resolve(idOrName: string, parameter = 'group'): Promise<GroupView> {
    try {
      return await this.get(idOrName);
    } catch (e) {
      if (!isAppError(e) || e.code !== 'PB_ERR_NOT_FOUND') throw e;
      throw unknownNameError(
        'group',
        parameter,
        idOrName,
        (await this.views()).map((v) => v.name),
      );
    }
  }

  /** A group by id, or by exact (case-insensitive) name or path. */
  async get(idOrName: string): Promise<GroupView> {
    const views = await this.views();
    const key = idOrName.trim().toLowerCase();
    const hits = views.filter(
      (v) => v.groupId === key || v.name.toLowerCase() === key || v.path.toLowerCase() === key,
    );
    if (hits.length === 0) {
      const best = closestName(
        views.map((v) => v.name),
        key,
      );
      throw new AppError(
        'PB_ERR_NOT_FOUND',
        `group ${JSON.stringify(idOrName.slice(0, 80))} does not exist${best !== undefined ? ` (did you mean ${JSON.stringify(best)}?)` : ''}`,
      );
    }
    if (hits.length > 1)
      throw new AppError(
        'PB_ERR_INVALID_PARAMETER',
        `several groups are named ${idOrName}; use the id or path`,
        {
          detail: { parameter: 'group' },
        },
      );
    return hits[0]!;
  }

  async create(
    input: { name: string; parent?: string; description?: string },
    actor: AdminActor,
    now = Date.now(),
  ): Promise<GroupView> {
    this.replica.refuse('creating computer groups');
    const name = requireName(input.name, 'name');
    const parent = input.parent === undefined ? allComputersGroupId : (await this.get(input.parent)).groupId;
    if (parent === unassignedComputersGroupId)
      throw new AppError('PB_ERR_CONFLICT', 'groups cannot be created under Unassigned Computers');
    const description = input.description === undefined ? undefined : input.description.slice(0, 1000);
    const created = await this.store.transaction(async (r) => {
      // Names are unique: client-side targeting and the CLI find groups by name.
      const clash = (await r.groups.list()).find((g) => g.name.toLowerCase() === name.toLowerCase());
      if (clash !== undefined) throw new AppError('PB_ERR_CONFLICT', `a group named ${clash.name} exists`);
      const g = await r.groups.create(
        { name, parentGroupId: parent, ...(description !== undefined ? { description } : {}) },
        now,
      );
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'group.create',
          targetType: 'group',
          targetId: g.groupId,
          detail: { name, parentGroupId: parent },
        },
        now,
      );
      return g;
    });
    return this.get(created.groupId);
  }

  async delete(idOrName: string, actor: AdminActor, now = Date.now()): Promise<GroupView> {
    this.replica.refuse('deleting computer groups');
    const g = await this.get(idOrName);
    await this.store.transaction(async (r) => {
      // Its approvals go with it: clients still holding it in their cookie see those updates change.
      await recordTreeChange(r, g.groupId, [g.groupId], 'group.delete', now);
      await r.groups.delete(g.groupId, now);
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'group.delete',
          targetType: 'group',
          targetId: g.groupId,
          detail: { name: g.name },
        },
        now,
      );
    });
    return g;
  }

  /** Re-parents a group; a move under itself or one of its descendants is PB_ERR_GROUP_CYCLE. */
  async move(idOrName: string, newParent: string, actor: AdminActor, now = Date.now()): Promise<GroupView> {
    this.replica.refuse('moving computer groups');
    const g = await this.get(idOrName);
    const parent = await this.get(newParent);
    if (g.isBuiltin) throw new AppError('PB_ERR_CONFLICT', `built-in group ${g.name} cannot be moved`);
    if (parent.groupId === unassignedComputersGroupId)
      throw new AppError('PB_ERR_CONFLICT', 'groups cannot be moved under Unassigned Computers');
    await this.store.transaction(async (r) => {
      const chain = [parent.groupId, ...(await r.groups.ancestors(parent.groupId))];
      if (chain.includes(g.groupId))
        throw new AppError(
          'PB_ERR_GROUP_CYCLE',
          `moving ${g.name} under ${parent.name} would make it its own ancestor`,
          {
            detail: { groupId: g.groupId, parentGroupId: parent.groupId },
          },
        );
      // Approvals inherited along the old and the new chain, and those inside the moved subtree (depth decides
      // between several groups), can resolve differently now.
      const oldChain =
        g.parentGroupId === null ? [] : [g.parentGroupId, ...(await r.groups.ancestors(g.parentGroupId))];
      await r.groups.move(g.groupId, parent.groupId, now);
      await recordTreeChange(
        r,
        g.groupId,
        [...oldChain, ...chain, ...subtreeOf(await r.groups.list(), g.groupId)],
        'group.move',
        now,
      );
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'group.move',
          targetType: 'group',
          targetId: g.groupId,
          detail: { from: g.parentGroupId, to: parent.groupId },
        },
        now,
      );
    });
    return this.get(g.groupId);
  }

  /** Adds a computer to a group (a server-side membership). */
  async addComputer(
    group: string,
    computerId: string,
    actor: AdminActor,
    now = Date.now(),
  ): Promise<string[]> {
    const g = await this.get(group);
    const cid = requireGuid(computerId, 'computerId');
    if (g.groupId === allComputersGroupId || g.groupId === unassignedComputersGroupId)
      throw new AppError('PB_ERR_CONFLICT', `membership of ${g.name} is implicit`);
    return this.store.transaction(async (r) => {
      await requireComputer(r, cid);
      const current = (await r.groups.groupsOf(cid))
        .filter((m) => m.source === 'server')
        .map((m) => m.groupId);
      await r.groups.setMemberships(
        cid,
        [...current.filter((x) => x !== unassignedComputersGroupId), g.groupId],
        'server',
        now,
      );
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'group.add-computer',
          targetType: 'computer',
          targetId: cid,
          detail: { groupId: g.groupId },
        },
        now,
      );
      return [...new Set((await r.groups.groupsOf(cid)).map((m) => m.groupId))];
    });
  }

  async removeComputer(
    group: string,
    computerId: string,
    actor: AdminActor,
    now = Date.now(),
  ): Promise<string[]> {
    const g = await this.get(group);
    const cid = requireGuid(computerId, 'computerId');
    return this.store.transaction(async (r) => {
      await requireComputer(r, cid);
      const memberships = await r.groups.groupsOf(cid);
      const hit = memberships.find((m) => m.groupId === g.groupId);
      if (hit === undefined)
        throw new AppError('PB_ERR_NOT_FOUND', `computer ${cid} is not a member of ${g.name}`);
      const source = hit.source === 'client' ? 'client' : 'server';
      const keep = memberships
        .filter((m) => m.source === source && m.groupId !== g.groupId)
        .map((m) => m.groupId);
      await r.groups.setMemberships(
        cid,
        keep.filter((x) => x !== unassignedComputersGroupId),
        source,
        now,
      );
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'group.remove-computer',
          targetType: 'computer',
          targetId: cid,
          detail: { groupId: g.groupId },
        },
        now,
      );
      return [...new Set((await r.groups.groupsOf(cid)).map((m) => m.groupId))];
    });
  }

  async getTargetingMode(): Promise<TargetingMode> {
    return readTargetingMode(this.store.repos.settings);
  }

  /**
   * Switches the targeting mode. Going back to server-side drops the client-side memberships (computers with
   * nothing left land in Unassigned), so a stale client request cannot keep deciding what a computer gets.
   */
  async setTargetingMode(
    mode: TargetingMode,
    actor: AdminActor,
    now = Date.now(),
  ): Promise<{ mode: TargetingMode; droppedMemberships: number }> {
    if (mode !== 'server' && mode !== 'client')
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'mode must be server or client', {
        detail: { parameter: 'mode' },
      });
    return this.store.transaction(async (r) => {
      const previous =
        (await r.settings.get<unknown>(targetingModeSetting)) === 'client' ? 'client' : 'server';
      let dropped = 0;
      if (mode === 'server' && previous === 'client') {
        for (let after: string | undefined; ;) {
          const rows = await r.adminQueries.listComputers({
            ...(after ? { afterComputerId: after } : {}),
            limit: 500,
          });
          if (rows.length === 0) break;
          const memberships = await r.adminQueries.membershipsOf(rows.map((c) => c.computer_id));
          for (const [cid, list] of memberships) {
            const n = list.filter((m) => m.source === 'client').length;
            if (n === 0) continue;
            dropped += n;
            await r.groups.setMemberships(cid, [], 'client', now);
          }
          after = rows.at(-1)!.computer_id;
        }
      }
      await r.settings.set(targetingModeSetting, mode, actorText(actor), now);
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'targeting.set-mode',
          targetType: 'setting',
          targetId: targetingModeSetting,
          detail: { from: previous, to: mode, droppedMemberships: dropped },
        },
        now,
      );
      return { mode, droppedMemberships: dropped };
    });
  }

  /**
   * The client-side targeting rule (src/fleet/client-targeting.ts) for a computer that asked for these
   * TargetGroupName(s): memberships change only in client-side mode. The client web service reaches the same
   * rule through ComputerService.enrol. The computer row must exist.
   */
  async resolveClientTargetGroups(
    computerId: string,
    requestedNames: readonly string[],
    now = Date.now(),
  ): Promise<ClientTargetingResult> {
    const cid = requireGuid(computerId, 'computerId');
    return applyClientTargeting(this.store.repos, cid, requestedNames, now);
  }

  private async views(): Promise<GroupView[]> {
    const [groups, counts, total] = await Promise.all([
      this.store.repos.groups.list(),
      this.store.repos.adminQueries.memberCounts(),
      this.store.repos.adminQueries.countComputers(),
    ]);
    const byId = new Map(groups.map((g) => [g.groupId, g]));
    const pathOf = (id: string): string => {
      const names: string[] = [];
      for (let g = byId.get(id), depth = 0; g !== undefined && depth < 65; depth++) {
        names.unshift(g.name);
        g = g.parentGroupId === null ? undefined : byId.get(g.parentGroupId);
      }
      return names.join('/');
    };
    return groups.map((g) => ({
      groupId: g.groupId,
      name: g.name,
      parentGroupId: g.parentGroupId,
      description: g.description,
      isBuiltin: g.isBuiltin,
      path: pathOf(g.groupId),
      // Everyone is in All Computers, though no row says so.
      memberCount: g.groupId === allComputersGroupId ? total : (counts.get(g.groupId) ?? 0),
    }));
  }
}

/**
 * A change of the group tree changes effective approvals without touching an approval row. It is written to
 * the deployment change log (in the caller's transaction) as one entry per update approved on `affected`,
 * scoped to `groupId`: the client service's compiled scopes are keyed by the latest change sequence, so every
 * node sharing the database recompiles them, and clients under the group get those updates in
 * ChangedUpdates. Without approvals on the affected groups nothing resolves differently and nothing is written.
 */
async function recordTreeChange(
  r: AdminStores,
  groupId: string,
  affected: readonly string[],
  kind: string,
  now: number,
): Promise<void> {
  const updateIds = [...new Set((await r.approvals.listForGroups(affected)).map((a) => a.updateId))];
  if (updateIds.length === 0) return;
  await r.deploymentChanges.append(
    updateIds.sort().map((updateId) => ({
      updateId,
      revisionId: null,
      groupId,
      generationId: null,
      kind,
    })),
    now,
  );
}

/** A group and all its descendants. */
function subtreeOf(
  groups: readonly { groupId: string; parentGroupId: string | null }[],
  root: string,
): string[] {
  const children = new Map<string, string[]>();
  for (const g of groups)
    if (g.parentGroupId !== null) {
      const l = children.get(g.parentGroupId) ?? [];
      l.push(g.groupId);
      children.set(g.parentGroupId, l);
    }
  const out: string[] = [];
  for (const stack = [root]; stack.length > 0 && out.length <= groups.length;) {
    const id = stack.pop()!;
    out.push(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}

async function requireComputer(r: AdminStores, computerId: string): Promise<void> {
  if ((await r.computers.get(computerId)) === undefined)
    throw new AppError('PB_ERR_NOT_FOUND', `computer ${computerId} does not exist`);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
