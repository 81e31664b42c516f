import { AppError } from '../errors.js';
import type { ApprovalAction, UpdateRow } from '../storage/index.js';
import { actorText, approvedVia, type AdminActor } from './admin-actor.js';
import { requireGuid } from './admin-input.js';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './admin-paging.js';
import type { AdminStores, AdminStore } from './admin-store.js';
import type { GroupsService, GroupView } from './groups-service.js';
import { autonomous, type ReplicaGuard } from './replica-guard.js';
import type { UpdateSelection, UpdatesService } from './updates-service.js';

export type { ApprovalAction };

/** One (update, group) line of an approval plan: what is there now and what the command sets. */
export interface ApprovalChange {
  readonly updateId: string;
  readonly title: string | null;
  readonly kbArticleId: string | null;
  readonly groupId: string;
  readonly groupName: string;
  /** null when the command removes the explicit approval (the group inherits again). */
  readonly action: ApprovalAction | null;
  readonly deadlineAt: number | null;
  readonly previous: { action: ApprovalAction; deadlineAt: number | null } | null;
  readonly changed: boolean;
  /** Bundled updates the approval covers (they install through the bundle). */
  readonly coveredUpdateIds: string[];
}

export interface ApprovalPlan {
  readonly dryRun: boolean;
  readonly changes: ApprovalChange[];
  /**
   * Updates a FILTER matched that cannot take this approval (declined, expired, bundle member, not
   * uninstallable), with the code an explicit request would have failed with. Updates named by id or KB are
   * never skipped: one of them that cannot be approved refuses the whole request.
   */
  readonly skipped?: { updateId: string; code: string; message: string }[];
}

export interface DeclineChange {
  readonly updateId: string;
  readonly title: string | null;
  readonly kbArticleId: string | null;
  readonly changed: boolean;
  /** Approvals the decline removes (WSUS drops the approvals of a declined update). */
  readonly removedApprovals: number;
}

export interface ApproveRequest {
  readonly selection: UpdateSelection;
  readonly groups: readonly string[];
  readonly action: ApprovalAction;
  /** ms since the epoch; must be in the future; only for install/uninstall. */
  readonly deadlineAt?: number | null;
  readonly dryRun?: boolean;
}

const maxGroups = 64;

/**
 * Approvals per (update, group), declines and un-declines. A request is checked completely before anything is
 * written (all or nothing), and every change writes an audit row in the same transaction as the change.
 */
export class ApprovalsService {
  constructor(
    private readonly store: AdminStore,
    private readonly updates: UpdatesService,
    private readonly groups: GroupsService,
    /** Told after approvals were written, so a running server queues and downloads their files at once. */
    private readonly onApplied?: (updateIds: readonly string[]) => void,
    /** `[upstream] mode = replica`: every change here is refused (the sync writes the upstream's). */
    private readonly replica: ReplicaGuard = autonomous,
  ) {}

  /** Explicit approvals, by update then group. */
  async list(
    filter: { updateId?: string; group?: string; action?: string },
    page: PageRequest = {},
  ): Promise<Page<Awaited<ReturnType<AdminStores['adminQueries']['listApprovals']>>[number]>> {
    const limit = pageLimit(page.limit);
    const after = decodeCursor(page.cursor, ['string', 'string']);
    const groupId =
      filter.group === undefined ? undefined : (await this.groups.resolve(filter.group)).groupId;
    const rows = await this.store.repos.adminQueries.listApprovals({
      ...(filter.updateId !== undefined ? { updateId: requireGuid(filter.updateId, 'update') } : {}),
      ...(groupId !== undefined ? { groupId } : {}),
      ...(filter.action !== undefined ? { action: filter.action } : {}),
      ...(after ? { after: { updateId: after[0] as string, groupId: after[1] as string } } : {}),
      limit: limit + 1,
    });
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.updateId, r.groupId],
    );
  }

  async approve(req: ApproveRequest, actor: AdminActor, now = Date.now()): Promise<ApprovalPlan> {
    this.replica.refuse('approving updates');
    if (!['install', 'uninstall', 'not_approved'].includes(req.action))
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'action must be install, uninstall or not_approved', {
        detail: { parameter: 'action' },
      });
    const deadlineAt = req.deadlineAt ?? null;
    if (deadlineAt !== null) {
      if (!Number.isFinite(deadlineAt))
        throw new AppError('PB_ERR_INVALID_PARAMETER', 'deadline is not a time', {
          detail: { parameter: 'deadline' },
        });
      if (req.action === 'not_approved')
        throw new AppError('PB_ERR_INVALID_PARAMETER', 'a deadline needs an install or uninstall approval', {
          detail: { parameter: 'deadline' },
        });
      if (deadlineAt <= now)
        throw new AppError(
          'PB_ERR_DEADLINE_PAST',
          `the deadline ${new Date(deadlineAt).toISOString()} is in the past`,
          {
            detail: { parameter: 'deadline', deadline: new Date(deadlineAt).toISOString() },
          },
        );
    }
    const groups = await this.resolveGroups(req.groups);
    const matched = await this.updates.resolve(req.selection);
    const rows: typeof matched = [];
    const skipped: { updateId: string; code: string; message: string }[] = [];
    for (const u of matched) {
      const p = await this.checkApprovable(u, req.action);
      if (p === undefined) rows.push(u);
      else if (req.selection.filter !== undefined)
        skipped.push({ updateId: u.updateId, code: p.code, message: p.message });
      else throw p;
    }
    const changes: ApprovalChange[] = [];
    for (const u of rows) {
      const existing = new Map(
        (await this.store.repos.approvals.listForUpdate(u.updateId)).map((a) => [a.groupId, a]),
      );
      const covered = u.isBundle ? await this.store.repos.adminQueries.bundleMembers(u.revisionId) : [];
      for (const g of groups) {
        const prev = existing.get(g.groupId);
        changes.push({
          updateId: u.updateId,
          title: u.title,
          kbArticleId: u.kbArticleId,
          groupId: g.groupId,
          groupName: g.name,
          action: req.action,
          deadlineAt,
          previous: prev ? { action: prev.action, deadlineAt: prev.deadlineAt } : null,
          changed: prev === undefined || prev.action !== req.action || prev.deadlineAt !== deadlineAt,
          coveredUpdateIds: covered,
        });
      }
    }
    const extra = req.selection.filter !== undefined ? { skipped } : {};
    if (req.dryRun === true) return { dryRun: true, changes, ...extra };
    await this.apply(changes, actor, now);
    return { dryRun: false, changes, ...extra };
  }

  /** Removes explicit approvals (each group inherits from its parents again). */
  async unapprove(
    req: { selection: UpdateSelection; groups: readonly string[]; dryRun?: boolean },
    actor: AdminActor,
    now = Date.now(),
  ): Promise<ApprovalPlan> {
    this.replica.refuse('removing approvals');
    const groups = await this.resolveGroups(req.groups);
    const rows = await this.updates.resolve(req.selection);
    const changes: ApprovalChange[] = [];
    for (const u of rows) {
      const existing = new Map(
        (await this.store.repos.approvals.listForUpdate(u.updateId)).map((a) => [a.groupId, a]),
      );
      for (const g of groups) {
        const prev = existing.get(g.groupId);
        changes.push({
          updateId: u.updateId,
          title: u.title,
          kbArticleId: u.kbArticleId,
          groupId: g.groupId,
          groupName: g.name,
          action: null,
          deadlineAt: null,
          previous: prev ? { action: prev.action, deadlineAt: prev.deadlineAt } : null,
          changed: prev !== undefined,
          coveredUpdateIds: [],
        });
      }
    }
    if (req.dryRun === true) return { dryRun: true, changes };
    await this.apply(changes, actor, now);
    return { dryRun: false, changes };
  }

  /**
   * Applies a checked plan in one transaction (also used by the rules service): sets or clears each changed
   * (update, group) and writes one audit row per change.
   */
  async apply(changes: readonly ApprovalChange[], actor: AdminActor, now = Date.now()): Promise<void> {
    this.replica.refuse('changing approvals');
    const todo = changes.filter((c) => c.changed);
    if (todo.length === 0) return;
    await this.store.transaction(async (r) => {
      const sets = todo.filter((c) => c.action !== null);
      if (sets.length > 0)
        await r.approvals.set(
          sets.map((c) => ({
            updateId: c.updateId,
            groupId: c.groupId,
            action: c.action!,
            deadlineAt: c.deadlineAt,
            approvedBy: actor.name,
            approvedVia: approvedVia(actor),
          })),
          now,
        );
      const clears = todo.filter((c) => c.action === null);
      if (clears.length > 0)
        await r.approvals.clear(
          clears.map((c) => ({ updateId: c.updateId, groupId: c.groupId })),
          now,
        );
      for (const c of todo)
        await r.auditLog.append(
          {
            actor: actorText(actor),
            action: c.action === null ? 'approval.clear' : 'approval.set',
            targetType: 'update',
            targetId: c.updateId,
            detail: {
              groupId: c.groupId,
              action: c.action,
              deadlineAt: c.deadlineAt,
              previous: c.previous,
              via: actor.via,
            },
          },
          now,
        );
    });
    this.onApplied?.([...new Set(todo.filter((c) => c.action === 'install').map((c) => c.updateId))]);
  }

  async decline(
    req: { selection: UpdateSelection; reason?: string; dryRun?: boolean },
    actor: AdminActor,
    now = Date.now(),
  ): Promise<{ dryRun: boolean; changes: DeclineChange[] }> {
    this.replica.refuse('declining updates');
    const reason = req.reason?.slice(0, 1000) ?? null;
    const rows = await this.updates.resolve(req.selection);
    const changes: DeclineChange[] = [];
    for (const u of rows) {
      const approvals = await this.store.repos.approvals.listForUpdate(u.updateId);
      changes.push({
        updateId: u.updateId,
        title: u.title,
        kbArticleId: u.kbArticleId,
        changed: !u.isDeclined,
        removedApprovals: u.isDeclined ? 0 : approvals.length,
      });
    }
    if (req.dryRun === true) return { dryRun: true, changes };
    const todo = changes.filter((c) => c.changed);
    if (todo.length > 0)
      await this.store.transaction(async (r) => {
        for (const c of todo) {
          const approvals = await r.approvals.listForUpdate(c.updateId);
          if (approvals.length > 0)
            await r.approvals.clear(
              approvals.map((a) => ({ updateId: a.updateId, groupId: a.groupId })),
              now,
            );
        }
        await r.approvals.decline(
          todo.map((c) => c.updateId),
          { declinedBy: actor.name, declinedVia: approvedVia(actor), reason },
          now,
        );
        for (const c of todo)
          await r.auditLog.append(
            {
              actor: actorText(actor),
              action: 'update.decline',
              targetType: 'update',
              targetId: c.updateId,
              detail: { reason, removedApprovals: c.removedApprovals, via: actor.via },
            },
            now,
          );
      });
    return { dryRun: false, changes };
  }

  async undecline(
    req: { selection: UpdateSelection; dryRun?: boolean },
    actor: AdminActor,
    now = Date.now(),
  ): Promise<{ dryRun: boolean; changes: DeclineChange[] }> {
    this.replica.refuse('un-declining updates');
    const rows = await this.updates.resolve(req.selection);
    const changes = rows.map((u) => ({
      updateId: u.updateId,
      title: u.title,
      kbArticleId: u.kbArticleId,
      changed: u.isDeclined,
      removedApprovals: 0,
    }));
    if (req.dryRun === true) return { dryRun: true, changes };
    const todo = changes.filter((c) => c.changed);
    if (todo.length > 0)
      await this.store.transaction(async (r) => {
        await r.approvals.undecline(
          todo.map((c) => c.updateId),
          now,
        );
        for (const c of todo)
          await r.auditLog.append(
            {
              actor: actorText(actor),
              action: 'update.undecline',
              targetType: 'update',
              targetId: c.updateId,
              detail: { via: actor.via },
            },
            now,
          );
      });
    return { dryRun: false, changes };
  }

  /** Why an update cannot take this approval, or undefined when it can. */
  async checkApprovable(u: UpdateRow, action: ApprovalAction): Promise<AppError | undefined> {
    const label = u.kbArticleId ? `KB${u.kbArticleId} (${u.updateId})` : u.updateId;
    if (action === 'not_approved') return undefined;
    // No client is offered a quarantined revision: an approval would say "approved" and deliver nothing.
    // With an older revision still served, the approval applies to that one and stands.
    if (u.catalogState === 'quarantined' && u.servedRevisionNumber === null)
      return new AppError(
        'PB_ERR_UPDATE_QUARANTINED',
        `${label} is quarantined (${u.quarantine?.reasonCode ?? 'quarantined'}${u.quarantine?.detail ? `: ${u.quarantine.detail.slice(0, 300)}` : ''}); ` +
          'no client is offered it, so it cannot be approved (see patchbay catalog quarantine)',
        { detail: { updateId: u.updateId, reason: 'quarantined', quarantine: u.quarantine } },
      );
    if (u.isDeclined)
      return new AppError('PB_ERR_APPROVAL_CONFLICT', `${label} is declined; undecline it before approving`, {
        detail: { updateId: u.updateId, reason: 'declined' },
      });
    if ((u.publicationState ?? '').toLowerCase() === 'expired')
      return new AppError('PB_ERR_APPROVAL_CONFLICT', `${label} is expired and cannot be approved`, {
        detail: { updateId: u.updateId, reason: 'expired' },
      });
    if (!u.isExplicitlyDeployable) {
      const parents = await this.store.repos.adminQueries.bundleParents(u.updateId);
      return new AppError(
        'PB_ERR_APPROVAL_CONFLICT',
        `${label} is not explicitly deployable (it installs through a bundle${parents.length > 0 ? `: approve ${parents.join(', ')}` : ''})`,
        { detail: { updateId: u.updateId, reason: 'bundle-member', bundles: parents } },
      );
    }
    if (action === 'uninstall' && !(await this.updates.isUninstallable(u)))
      return new AppError(
        'PB_ERR_NOT_UNINSTALLABLE',
        `${label} cannot be uninstalled (its document declares no UninstallationBehavior)`,
        {
          detail: { updateId: u.updateId },
        },
      );
    return undefined;
  }

  private async resolveGroups(names: readonly string[]): Promise<GroupView[]> {
    if (names.length === 0 || names.length > maxGroups)
      throw new AppError('PB_ERR_INVALID_PARAMETER', `name 1 to ${maxGroups} groups`, {
        detail: { parameter: 'group' },
      });
    const out = new Map<string, GroupView>();
    for (const n of names) {
      const g = await this.groups.resolve(n);
      out.set(g.groupId, g);
    }
    return [...out.values()];
  }
}
