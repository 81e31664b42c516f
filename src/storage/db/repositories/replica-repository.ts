import type { ApprovalAction } from '../database.js';
import type { DialectName } from '../dialect.js';
import { chunkRows, type Executor } from '../transaction.js';
import { ApprovalRepository } from './approval-repository.js';
import { allComputersGroup, GroupRepository, unassignedComputersGroup } from './group-repository.js';

/** One upstream target group, as a replica mirrors it (parent undefined or the zero GUID: the root). */
export interface ReplicaGroupInput {
  readonly groupId: string;
  readonly parentGroupId: string | undefined;
  readonly name: string;
}

export interface ReplicaDeploymentInput {
  readonly deploymentGuid: string;
  readonly updateId: string;
  readonly revisionNumber: number;
  readonly groupId: string;
  readonly action: ApprovalAction;
  readonly deadlineAt: number | null;
  readonly approvedBy: string;
}

/** What one GetDeployments answer asks a replica to be (docs/upstream.md "Replica mode"). */
export interface ReplicaStateInput {
  /** Every group of the upstream: local groups missing from it are deleted with their approvals. */
  readonly groups: readonly ReplicaGroupInput[];
  readonly deployments: readonly ReplicaDeploymentInput[];
  readonly deadDeployments: readonly string[];
  /** Full list: local declines not in it are lifted. */
  readonly hiddenUpdates: readonly string[];
  /** Full list. */
  readonly acceptedEulas: readonly string[];
  /**
   * The answer to a call without a deployment anchor holds every deployment: approvals it does not name are
   * removed (the replica mirrors, it does not merge).
   */
  readonly complete: boolean;
}

/** What applying changed; all zero for an answer identical to the replica's state. */
export interface ReplicaApplyCounts {
  groupsAdded: number;
  groupsChanged: number;
  groupsRemoved: number;
  approvalsSet: number;
  approvalsCleared: number;
  declined: number;
  undeclined: number;
  eulasChanged: number;
}

const builtinGroups = new Set([allComputersGroup, unassignedComputersGroup]);
const zero = '00000000-0000-0000-0000-000000000000';
const via = 'upstream';

/**
 * A replica's write side: applies an upstream's GetDeployments answer as a diff against the local groups,
 * approvals, declines and EULA acceptances, writing only what differs (an unchanged answer writes nothing,
 * so clients see no change). Run it inside one transaction (the sync runs it in the activation's).
 * Approvals are written through ApprovalRepository, so the deployment change log moves on for clients and
 * for this server's own downstream servers.
 */
export class ReplicaRepository {
  readonly #groups: GroupRepository;
  readonly #approvals: ApprovalRepository;

  constructor(
    private readonly db: Executor,
    dialect: DialectName,
  ) {
    this.#groups = new GroupRepository(db, dialect);
    this.#approvals = new ApprovalRepository(db);
  }

  async apply(input: ReplicaStateInput, now = Date.now()): Promise<ReplicaApplyCounts> {
    const counts: ReplicaApplyCounts = {
      groupsAdded: 0,
      groupsChanged: 0,
      groupsRemoved: 0,
      approvalsSet: 0,
      approvalsCleared: 0,
      declined: 0,
      undeclined: 0,
      eulasChanged: 0,
    };
    const groupIds = await this.applyGroups(input.groups, counts, now);
    await this.applyDeployments(input, groupIds, counts, now);
    await this.applyDeclines(input.hiddenUpdates, counts, now);
    await this.applyEulas(input.acceptedEulas, counts, now);
    return counts;
  }

  /** Mirrors the group tree; returns the group ids present afterwards. */
  private async applyGroups(
    upstream: readonly ReplicaGroupInput[],
    counts: ReplicaApplyCounts,
    now: number,
  ): Promise<Set<string>> {
    const wanted = new Map<string, ReplicaGroupInput>();
    for (const g of upstream) if (!builtinGroups.has(g.groupId)) wanted.set(g.groupId.toLowerCase(), g);
    const local = new Map((await this.#groups.list()).map((g) => [g.groupId, g]));
    // Gone upstream: deepest first (a group with children cannot be deleted), approvals cleared with a log row.
    const gone = [...local.values()].filter((g) => !g.isBuiltin && !wanted.has(g.groupId));
    const depth = (id: string): number => {
      let d = 0;
      for (let p = local.get(id)?.parentGroupId; p && d < 64; p = local.get(p)?.parentGroupId) d++;
      return d;
    };
    gone.sort((a, b) => depth(b.groupId) - depth(a.groupId));
    for (const g of gone) {
      // Children that stay upstream are moved away first (they are re-placed below).
      for (const child of [...local.values()].filter(
        (c) => c.parentGroupId === g.groupId && wanted.has(c.groupId),
      )) {
        await this.#groups.move(child.groupId, allComputersGroup, now);
        local.set(child.groupId, { ...child, parentGroupId: allComputersGroup });
      }
      const approvals = await this.#approvals.listForGroups([g.groupId]);
      counts.approvalsCleared += await this.#approvals.clear(approvals, now);
      await this.db.deleteFrom('replica_deployments').where('group_id', '=', g.groupId).execute();
      await this.#groups.delete(g.groupId, now);
      local.delete(g.groupId);
      counts.groupsRemoved++;
    }
    // Parents before children; whatever is left (a cycle or an unknown parent upstream) goes under the root.
    const placed = new Set<string>([...builtinGroups]);
    const parentOf = (g: ReplicaGroupInput) => {
      const p = g.parentGroupId?.toLowerCase();
      return p === undefined || p === zero || p === '' ? allComputersGroup : p;
    };
    let pending = [...wanted.values()];
    for (let pass = 0; pending.length > 0; pass++) {
      const ready = pending.filter((g) => placed.has(parentOf(g)) || pass > 64);
      const next = ready.length > 0 ? ready : [pending[0]!];
      for (const g of next) {
        const id = g.groupId.toLowerCase();
        let parent = parentOf(g);
        if (!placed.has(parent) || parent === unassignedComputersGroup) parent = allComputersGroup;
        const have = local.get(id);
        if (have === undefined) {
          await this.#groups.create({ groupId: id, name: g.name, parentGroupId: parent }, now);
          counts.groupsAdded++;
        } else {
          let changed = false;
          if (have.name !== g.name) {
            await this.#groups.rename(id, g.name, now);
            changed = true;
          }
          if (have.parentGroupId !== parent) {
            await this.#groups.move(id, parent, now);
            changed = true;
          }
          if (changed) counts.groupsChanged++;
        }
        placed.add(id);
      }
      const done = new Set(next);
      pending = pending.filter((g) => !done.has(g));
    }
    return placed;
  }

  private async applyDeployments(
    input: ReplicaStateInput,
    groupIds: ReadonlySet<string>,
    counts: ReplicaApplyCounts,
    now: number,
  ): Promise<void> {
    const key = (u: string, g: string) => `${u.toLowerCase()}|${g.toLowerCase()}`;
    const current = new Map<string, { action: ApprovalAction; deadlineAt: number | null }>();
    for (const a of await this.db
      .selectFrom('approvals')
      .select(['update_id', 'group_id', 'action', 'deadline_at'])
      .execute())
      current.set(key(a.update_id, a.group_id), {
        action: a.action,
        deadlineAt: a.deadline_at === null ? null : Number(a.deadline_at),
      });
    const named = new Map<string, ReplicaDeploymentInput>();
    for (const d of input.deployments)
      if (groupIds.has(d.groupId.toLowerCase())) named.set(key(d.updateId, d.groupId), d);

    // Dead deployments first: a deployment re-created in the same window is then set again below.
    const clears = new Map<string, { updateId: string; groupId: string }>();
    for (const chunk of chunkRows(
      input.deadDeployments.map((g) => g.toLowerCase()),
      1,
      1000,
    )) {
      const rows = await this.db
        .selectFrom('replica_deployments')
        .select(['deployment_guid', 'update_id', 'group_id'])
        .where('deployment_guid', 'in', chunk)
        .execute();
      for (const r of rows) {
        const k = key(r.update_id, r.group_id);
        if (!named.has(k) && current.has(k)) clears.set(k, { updateId: r.update_id, groupId: r.group_id });
      }
      await this.db.deleteFrom('replica_deployments').where('deployment_guid', 'in', chunk).execute();
    }
    if (input.complete)
      for (const [k, _] of current) {
        if (named.has(k)) continue;
        const [updateId, groupId] = k.split('|') as [string, string];
        clears.set(k, { updateId, groupId });
      }
    if (input.complete) await this.db.deleteFrom('replica_deployments').execute();
    if (clears.size > 0) counts.approvalsCleared += await this.#approvals.clear([...clears.values()], now);

    const sets = [...named.values()].filter((d) => {
      const c = current.get(key(d.updateId, d.groupId));
      return c === undefined || c.action !== d.action || c.deadlineAt !== d.deadlineAt;
    });
    if (sets.length > 0) {
      await this.#approvals.set(
        sets.map((d) => ({
          updateId: d.updateId,
          groupId: d.groupId,
          action: d.action,
          deadlineAt: d.deadlineAt,
          approvedBy: d.approvedBy,
          approvedVia: via,
        })),
        now,
      );
      counts.approvalsSet += sets.length;
    }
    // The GUID map: only rows that change are written.
    const known = new Map<string, string>();
    const guids = [...named.values()].map((d) => d.deploymentGuid.toLowerCase());
    for (const chunk of chunkRows(guids, 1, 1000))
      for (const r of await this.db
        .selectFrom('replica_deployments')
        .select(['deployment_guid', 'update_id', 'group_id', 'revision_number'])
        .where('deployment_guid', 'in', chunk)
        .execute())
        known.set(r.deployment_guid, `${key(r.update_id, r.group_id)}|${r.revision_number}`);
    const mapRows = [...named.values()]
      .filter(
        (d) =>
          known.get(d.deploymentGuid.toLowerCase()) !== `${key(d.updateId, d.groupId)}|${d.revisionNumber}`,
      )
      .map((d) => ({
        deployment_guid: d.deploymentGuid.toLowerCase(),
        update_id: d.updateId.toLowerCase(),
        group_id: d.groupId.toLowerCase(),
        revision_number: d.revisionNumber,
        applied_at: now,
      }));
    for (const chunk of chunkRows(mapRows, 5))
      await this.db
        .insertInto('replica_deployments')
        .values(chunk)
        .onConflict((oc) =>
          oc.column('deployment_guid').doUpdateSet((eb) => ({
            update_id: eb.ref('excluded.update_id'),
            group_id: eb.ref('excluded.group_id'),
            revision_number: eb.ref('excluded.revision_number'),
            applied_at: eb.ref('excluded.applied_at'),
          })),
        )
        .execute();
  }

  private async applyDeclines(
    hidden: readonly string[],
    counts: ReplicaApplyCounts,
    now: number,
  ): Promise<void> {
    const want = new Set(hidden.map((u) => u.toLowerCase()));
    const have = new Set((await this.#approvals.listDeclined()).map((d) => d.updateId));
    const add = [...want].filter((u) => !have.has(u));
    const lift = [...have].filter((u) => !want.has(u));
    if (add.length > 0) {
      // As a local decline does: a declined update keeps no approval.
      for (const chunk of chunkRows(add, 1, 1000)) {
        const rows = await this.db
          .selectFrom('approvals')
          .select(['update_id', 'group_id'])
          .where('update_id', 'in', chunk)
          .execute();
        if (rows.length > 0)
          counts.approvalsCleared += await this.#approvals.clear(
            rows.map((r) => ({ updateId: r.update_id, groupId: r.group_id })),
            now,
          );
      }
      await this.#approvals.decline(
        add,
        { declinedBy: 'upstream', declinedVia: via, reason: 'declined upstream' },
        now,
      );
      counts.declined += add.length;
    }
    if (lift.length > 0) counts.undeclined += await this.#approvals.undecline(lift, now);
  }

  private async applyEulas(
    accepted: readonly string[],
    counts: ReplicaApplyCounts,
    now: number,
  ): Promise<void> {
    const want = new Set(accepted.map((e) => e.toLowerCase()));
    const have = new Set(
      (await this.db.selectFrom('accepted_eulas').select('eula_id').execute()).map((r) => r.eula_id),
    );
    const add = [...want].filter((e) => !have.has(e));
    const drop = [...have].filter((e) => !want.has(e));
    for (const chunk of chunkRows(drop, 1, 1000))
      await this.db.deleteFrom('accepted_eulas').where('eula_id', 'in', chunk).execute();
    for (const chunk of chunkRows(add, 3))
      await this.db
        .insertInto('accepted_eulas')
        .values(chunk.map((e) => ({ eula_id: e, accepted_via: via, accepted_at: now })))
        .execute();
    counts.eulasChanged += add.length + drop.length;
  }
}
