import { resolveEffectiveApproval, unassignedComputersGroupId, type GroupApproval } from '../domain/index.js';
import { AppError } from '../errors.js';
import { actorText, type AdminActor } from './admin-actor.js';
import { requireGuid } from './admin-input.js';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './admin-paging.js';
import type { AdminStore } from './admin-store.js';
import type { GroupsService } from './groups-service.js';
import { unknownNameError } from './unknown-name.js';

export interface ComputerView {
  readonly computerId: string;
  readonly name: string | null;
  readonly ipAddress: string | null;
  readonly os: string | null;
  readonly osVersion: string | null;
  readonly make: string | null;
  readonly model: string | null;
  readonly clientVersion: string | null;
  readonly registeredAt: number;
  readonly lastSyncAt: number | null;
  readonly lastReportAt: number | null;
  readonly groups: { groupId: string; source: string }[];
}

export interface EffectiveApprovalView {
  readonly updateId: string;
  readonly action: GroupApproval['action'];
  readonly deadlineAt: number | null;
  readonly sourceGroupId: string;
}

const dayMs = 86_400_000;

/** The computer inventory for administrators: lists, detail, moves between groups, stale removal. */
export class ComputersAdminService {
  constructor(
    private readonly store: AdminStore,
    private readonly groups: GroupsService,
  ) {}

  async list(
    filter: { text?: string; group?: string; silentDays?: number } = {},
    page: PageRequest = {},
    now = Date.now(),
  ): Promise<Page<ComputerView>> {
    const limit = pageLimit(page.limit);
    const after = decodeCursor(page.cursor, ['string']);
    if (filter.text !== undefined && filter.text.length > 200)
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'text: at most 200 characters', {
        detail: { parameter: 'text' },
      });
    const groupId =
      filter.group === undefined ? undefined : (await this.groups.resolve(filter.group)).groupId;
    const rows = await this.store.repos.adminQueries.listComputers({
      ...(filter.text !== undefined ? { text: filter.text } : {}),
      ...(groupId !== undefined ? { groupId } : {}),
      ...(filter.silentDays !== undefined
        ? { silentBefore: now - requireDays(filter.silentDays) * dayMs }
        : {}),
      ...(after ? { afterComputerId: after[0] as string } : {}),
      limit: limit + 1,
    });
    const memberships = await this.store.repos.adminQueries.membershipsOf(rows.map((r) => r.computer_id));
    return toPage(
      rows,
      limit,
      (r) => toView(r, memberships.get(r.computer_id) ?? []),
      (r) => [r.computer_id],
    );
  }

  async show(
    computerId: string,
  ): Promise<ComputerView & { inventory: unknown; effectiveApprovals: EffectiveApprovalView[] }> {
    const cid = requireGuid(computerId, 'computerId');
    const c = await this.store.repos.computers.get(cid);
    if (c === undefined) throw new AppError('PB_ERR_NOT_FOUND', `computer ${cid} does not exist`);
    const rows = await this.store.repos.adminQueries.listComputers({ text: cid, limit: 1 });
    const memberships = await this.store.repos.groups.groupsOf(cid);
    return {
      ...toView(rows[0]!, memberships),
      inventory: c.inventory,
      effectiveApprovals: await this.effectiveApprovals(cid),
    };
  }

  /**
   * The approval each update has for this computer, by the shared effective-approval rule (src/domain):
   * inheritance down the group tree, deeper group wins, install over uninstall, required over optional,
   * earliest deadline.
   */
  async effectiveApprovals(computerId: string): Promise<EffectiveApprovalView[]> {
    const cid = requireGuid(computerId, 'computerId');
    const repos = this.store.repos;
    const memberships = [...new Set((await repos.groups.groupsOf(cid)).map((m) => m.groupId))];
    const tree = new Map((await repos.groups.list()).map((g) => [g.groupId, g.parentGroupId]));
    const relevant = new Set<string>();
    for (const m of memberships) {
      relevant.add(m);
      for (let p = tree.get(m), depth = 0; p && depth < 65; p = tree.get(p), depth++) relevant.add(p);
    }
    const approvals = await repos.approvals.listForGroups([...relevant]);
    const byUpdate = new Map<string, Map<string, GroupApproval>>();
    for (const a of approvals) {
      const m = byUpdate.get(a.updateId) ?? new Map<string, GroupApproval>();
      m.set(a.groupId, {
        groupId: a.groupId,
        action: a.action === 'not_approved' ? 'notApproved' : a.action,
        deadlineAt: a.deadlineAt ?? undefined,
      });
      byUpdate.set(a.updateId, m);
    }
    const out: EffectiveApprovalView[] = [];
    for (const [updateId, perGroup] of byUpdate) {
      const eff = resolveEffectiveApproval(
        memberships,
        (g) => tree.get(g) ?? undefined,
        (g) => perGroup.get(g),
      );
      if (eff === undefined) continue;
      out.push({
        updateId,
        action: eff.action,
        deadlineAt: eff.deadlineAt ?? null,
        sourceGroupId: eff.sourceGroupId,
      });
    }
    return out.sort((a, b) => (a.updateId < b.updateId ? -1 : 1));
  }

  /** Moves a computer: its server-side memberships become exactly `groups` (names or ids). */
  async move(
    computerId: string,
    groups: readonly string[],
    actor: AdminActor,
    now = Date.now(),
  ): Promise<string[]> {
    const cid = requireGuid(computerId, 'computerId');
    if (groups.length === 0 || groups.length > 64)
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'name 1 to 64 target groups', {
        detail: { parameter: 'groups' },
      });
    const targets: string[] = [];
    for (const g of groups) {
      const v = await this.groups.resolve(g, 'groups');
      if (v.parentGroupId === null)
        throw new AppError('PB_ERR_CONFLICT', 'every computer is in All Computers already');
      targets.push(v.groupId);
    }
    return this.store.transaction(async (r) => {
      if ((await r.computers.get(cid)) === undefined)
        throw new AppError('PB_ERR_NOT_FOUND', `computer ${cid} does not exist`);
      const before = (await r.groups.groupsOf(cid)).map((m) => m.groupId);
      await r.groups.setMemberships(
        cid,
        targets.filter((t) => t !== unassignedComputersGroupId),
        'server',
        now,
      );
      const after = [...new Set((await r.groups.groupsOf(cid)).map((m) => m.groupId))];
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'computer.move',
          targetType: 'computer',
          targetId: cid,
          detail: { before, after },
        },
        now,
      );
      return after;
    });
  }

  /**
   * Removes one computer (WSUS "Delete"), by id, DNS name, or the first label of its DNS name when that is
   * unique. Its status, events and memberships go with it; a computer that scans again registers anew.
   */
  async remove(
    idOrName: string,
    options: { dryRun?: boolean },
    actor: AdminActor,
    now = Date.now(),
  ): Promise<{ dryRun: boolean; removed: ComputerView }> {
    const c = await this.resolve(idOrName);
    if (options.dryRun === true) return { dryRun: true, removed: c };
    await this.store.transaction(async (r) => {
      if (!(await r.computers.delete(c.computerId)))
        throw new AppError('PB_ERR_NOT_FOUND', `computer ${c.computerId} does not exist`);
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'computer.remove',
          targetType: 'computer',
          targetId: c.computerId,
          detail: { name: c.name, lastSyncAt: c.lastSyncAt, via: actor.via },
        },
        now,
      );
    });
    return { dryRun: false, removed: c };
  }

  /** A computer by id or name; an unknown name is an error with the closest known name. */
  async resolve(idOrName: string): Promise<ComputerView> {
    const text = idOrName.trim().toLowerCase();
    if (text.length === 0 || text.length > 255)
      throw new AppError(
        'PB_ERR_INVALID_PARAMETER',
        'name a computer by id or DNS name (1 to 255 characters)',
        {
          detail: { parameter: 'computer' },
        },
      );
    const view = async (row: Parameters<typeof toView>[0]) =>
      toView(row, await this.store.repos.groups.groupsOf(row.computer_id));
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text)) {
      const [row] = await this.store.repos.adminQueries.listComputers({ text, limit: 1 });
      if (row?.computer_id === text) return view(row);
      throw new AppError('PB_ERR_NOT_FOUND', `computer ${text} does not exist`, {
        detail: { computerId: text },
      });
    }
    const label = text.split('.')[0]!;
    const rows = await this.store.repos.adminQueries.listComputers({ text: label, limit: 500 });
    const named = (r: (typeof rows)[number]) => (r.dns_name ?? '').toLowerCase();
    const exact = rows.filter((r) => named(r) === text);
    const byLabel = rows.filter((r) => named(r).split('.')[0] === text);
    const hits = exact.length > 0 ? exact : byLabel;
    if (hits.length === 1) return view(hits[0]!);
    if (hits.length > 1)
      throw new AppError(
        'PB_ERR_INVALID_PARAMETER',
        `${hits.length} computers are named ${JSON.stringify(idOrName.slice(0, 80))}: name one by id (${hits
          .slice(0, 5)
          .map((r) => `${r.computer_id} ${r.dns_name ?? ''}`.trimEnd())
          .join('; ')})`,
        { detail: { parameter: 'computer', computerIds: hits.slice(0, 20).map((r) => r.computer_id) } },
      );
    const near = await this.store.repos.adminQueries.listComputers({ text: label.slice(0, 3), limit: 500 });
    throw unknownNameError(
      'computer',
      'computer',
      idOrName,
      near.map((r) => r.dns_name).filter((n): n is string => n !== null),
    );
  }

  /**
   * Deletes computers that have not contacted the server for `days` days (their status and memberships go
   * too), `batchSize` computers (with their audit lines) per transaction, calling `pace` between two (the
   * cleanup keeps the event loop serving scans) and `onBatch` after each commit (the kill -9 test's hook).
   */
  async removeStale(
    days: number,
    options: {
      dryRun?: boolean;
      batchSize?: number;
      pace?: () => Promise<void>;
      onBatch?: () => Promise<void>;
    },
    actor: AdminActor,
    now = Date.now(),
  ): Promise<{ dryRun: boolean; removed: ComputerView[] }> {
    const cutoff = now - requireDays(days) * dayMs;
    const stale: ComputerView[] = [];
    for (let after: string | undefined; ;) {
      await options.pace?.();
      const rows = await this.store.repos.adminQueries.listComputers({
        silentBefore: cutoff,
        ...(after ? { afterComputerId: after } : {}),
        limit: 500,
      });
      if (rows.length === 0) break;
      const m = await this.store.repos.adminQueries.membershipsOf(rows.map((r) => r.computer_id));
      stale.push(...rows.map((r) => toView(r, m.get(r.computer_id) ?? [])));
      after = rows.at(-1)!.computer_id;
    }
    if (options.dryRun === true || stale.length === 0)
      return { dryRun: options.dryRun === true, removed: stale };
    const batch = Math.max(1, options.batchSize ?? stale.length);
    for (let i = 0; i < stale.length; i += batch) {
      await options.pace?.();
      await this.removeBatch(stale.slice(i, i + batch), days, actor, now);
      await options.onBatch?.();
    }
    return { dryRun: false, removed: stale };
  }

  private async removeBatch(
    stale: readonly ComputerView[],
    days: number,
    actor: AdminActor,
    now: number,
  ): Promise<void> {
    await this.store.transaction(async (r) => {
      for (const c of stale) {
        await r.computers.delete(c.computerId);
        await r.auditLog.append(
          {
            actor: actorText(actor),
            action: 'computer.remove',
            targetType: 'computer',
            targetId: c.computerId,
            detail: { name: c.name, silentDays: days, lastSyncAt: c.lastSyncAt },
          },
          now,
        );
      }
    });
  }
}

function requireDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 36500)
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'days must be an integer from 1 to 36500', {
      detail: { parameter: 'days' },
    });
  return days;
}

function toView(
  r: {
    computer_id: string;
    dns_name: string | null;
    ip_address: string | null;
    os_description: string | null;
    os_major: number | null;
    os_minor: number | null;
    os_build: number | null;
    os_revision: number | null;
    computer_make: string | null;
    computer_model: string | null;
    client_version: string | null;
    registered_at: number;
    last_sync_at: number | null;
    last_report_at: number | null;
  },
  groups: { groupId: string; source: string }[],
): ComputerView {
  const v = [r.os_major, r.os_minor, r.os_build, r.os_revision];
  return {
    computerId: r.computer_id,
    name: r.dns_name,
    ipAddress: r.ip_address,
    os: r.os_description,
    osVersion: v[0] === null ? null : v.filter((x) => x !== null).join('.'),
    make: r.computer_make,
    model: r.computer_model,
    clientVersion: r.client_version,
    registeredAt: r.registered_at,
    lastSyncAt: r.last_sync_at,
    lastReportAt: r.last_report_at,
    groups,
  };
}
