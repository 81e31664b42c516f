/**
 * Declining superseded updates by WSUS's safe rule (docs/administration.md, "Declining superseded updates"):
 * an update is declined only when every condition holds, and the same plan is what the dry run prints and
 * what the real run declines. The declines are audited with the rule as their author.
 */
import { resolveEffectiveApproval, type GroupApproval, type GroupId } from '../domain/index.js';
import { AppError } from '../errors.js';
import type { ApprovalRecord, SupersedingUpdate, UpdateRow } from '../storage/index.js';
import { actorText, type AdminActor } from './admin-actor.js';
import type { AdminStore } from './admin-store.js';
import type { ApprovalsService } from './approvals-service.js';
import { createPacer, type Pacer } from '../jobs/index.js';
import { autonomous, type ReplicaGuard } from './replica-guard.js';
import { readStoredDocument } from './stored-document.js';

/** Why the rule keeps a superseded update (machine-readable; the message says it in words). */
export type KeepReason =
  | 'needed'
  | 'failed'
  | 'too-recent'
  | 'no-approved-superseding'
  | 'groups-not-covered'
  | 'deadline'
  | 'uninstall'
  | 'eula';

export interface SupersededCandidate {
  readonly updateId: string;
  readonly kbArticleId: string | null;
  readonly title: string | null;
  readonly supersededSince: number;
  /** The approved superseding updates that take its place. */
  readonly replacedBy: string[];
  readonly keep: { reason: KeepReason; message: string } | null;
}

export interface SupersededDeclinePlan {
  readonly dryRun: boolean;
  readonly minDays: number;
  /** Declined (or, in a dry run, that would be). */
  readonly declined: SupersededCandidate[];
  /** Superseded, not declined, and kept by the rule, with the reason. */
  readonly kept: SupersededCandidate[];
}

/** The author of every decline this rule makes (audit actor `rule:decline-superseded`). */
export const supersededRuleActor: AdminActor = { via: 'rule', name: 'decline-superseded' };

const dayMs = 86_400_000;
const pageSize = 500;

export class SupersededDeclineService {
  constructor(
    private readonly store: AdminStore,
    private readonly approvals: ApprovalsService,
    /** `maintenance.decline_superseded_after_days`. */
    private readonly defaultMinDays: number,
    private readonly replica: ReplicaGuard = autonomous,
  ) {}

  /**
   * Plans and (unless `dryRun`) applies the rule to every superseded, not declined update. `requestedBy` is who
   * ran it (the CLI user, an API token, `system:sync`); it is kept in each decline's reason.
   */
  async run(
    options: {
      dryRun?: boolean;
      minDays?: number;
      /** Yields to the event loop between updates (the cleanup's pacer); default a pacer of its own. */
      pace?: Pacer;
    },
    requestedBy: AdminActor,
    now = Date.now(),
  ): Promise<SupersededDeclinePlan> {
    this.replica.refuse('declining superseded updates');
    const minDays = options.minDays ?? this.defaultMinDays;
    if (!Number.isInteger(minDays) || minDays < 0 || minDays > 3650)
      throw new AppError('PB_ERR_INVALID_PARAMETER', 'minDays must be an integer from 0 to 3650', {
        detail: { parameter: 'minDays' },
      });
    const dryRun = options.dryRun === true;
    const pace = options.pace ?? createPacer();
    const candidates = await this.plan(minDays, now, pace);
    const declined = candidates.filter((c) => c.keep === null);
    const kept = candidates.filter((c) => c.keep !== null);
    if (!dryRun)
      for (const c of declined) {
        await pace();
        await this.approvals.decline(
          {
            selection: { updateIds: [c.updateId] },
            reason:
              `superseded by ${c.replacedBy.join(', ')} (approved for its groups), superseded for ` +
              `${minDays}+ days, needed by no computer; rule decline-superseded run by ${actorText(requestedBy)}`,
          },
          supersededRuleActor,
          now,
        );
      }
    return { dryRun, minDays, declined, kept };
  }

  private async plan(minDays: number, now: number, pace: Pacer): Promise<SupersededCandidate[]> {
    const repos = this.store.repos;
    const tree = new Map((await repos.groups.list()).map((g) => [g.groupId, g.parentGroupId]));
    const parentOf = (g: GroupId) => tree.get(g) ?? undefined;
    const out: SupersededCandidate[] = [];
    for (let after: string | undefined; ;) {
      const rows = await repos.adminQueries.listUpdates({
        superseded: true,
        ...(after !== undefined ? { afterUpdateId: after } : {}),
        limit: pageSize,
      });
      if (rows.length === 0) break;
      after = rows.at(-1)!.updateId;
      const live = rows.filter((r) => !r.isDeclined);
      const supersedence = await repos.supersedence.supersedersOf(live.map((r) => r.updateId));
      for (const u of live) {
        await pace();
        const s = supersedence.get(u.updateId);
        if (s === undefined || s.supersededSince === null) continue;
        const keep = await this.keepReason(u, s.supersededBy, s.supersededSince, minDays, now, parentOf);
        out.push({
          updateId: u.updateId,
          kbArticleId: u.kbArticleId,
          title: u.title,
          supersededSince: s.supersededSince,
          replacedBy: keep.replacedBy,
          keep: keep.reason,
        });
      }
      if (rows.length < pageSize) break;
    }
    return out;
  }

  /** The first condition of the safe rule the update fails, or null when it may be declined. */
  private async keepReason(
    u: UpdateRow,
    supersededBy: readonly SupersedingUpdate[],
    since: number,
    minDays: number,
    now: number,
    parentOf: (g: GroupId) => GroupId | undefined,
  ): Promise<{ reason: SupersededCandidate['keep']; replacedBy: string[] }> {
    const keep = (reason: KeepReason, message: string, replacedBy: string[] = []) => ({
      reason: { reason, message },
      replacedBy,
    });
    const counts = await this.store.repos.adminQueries.statusCounts(u.updateId);
    const needed = (counts[2] ?? 0) + (counts[3] ?? 0) + (counts[6] ?? 0);
    if (needed > 0) return keep('needed', `needed by ${needed} computer(s)`);
    if ((counts[5] ?? 0) > 0) return keep('failed', `failed to install on ${counts[5]} computer(s)`);
    const ageDays = Math.floor((now - since) / dayMs);
    if (now - since < minDays * dayMs)
      return keep('too-recent', `superseded for ${ageDays} day(s), fewer than ${minDays}`);
    const approved = supersededBy.filter((b) => b.approved && !b.declined);
    if (approved.length === 0) return keep('no-approved-superseding', 'no superseding update is approved');
    const own = await this.store.repos.approvals.listForUpdate(u.updateId);
    if (own.some((a) => a.deadlineAt !== null))
      return keep('deadline', 'it has an approval with a deadline (a required install): decline it by hand');
    if (own.some((a) => a.action === 'uninstall'))
      return keep('uninstall', 'it is approved for removal; a decline would stop the removal');
    if (await this.declaresEula(u.revisionId))
      return keep('eula', 'it has a license agreement (EulaID): decline it by hand');
    const installGroups = own.filter((a) => a.action === 'install').map((a) => a.groupId);
    const replacing: string[] = [];
    const uncovered = new Set(installGroups);
    let withEula = 0;
    for (const b of approved) {
      const [current] = await this.store.repos.revisions.listByUpdateId(b.updateId);
      if (current !== undefined && (await this.declaresEula(current.revisionId))) {
        withEula++;
        continue;
      }
      const byGroup = toGroupApprovals(await this.store.repos.approvals.listForUpdate(b.updateId));
      const covers = installGroups.filter(
        (g) => resolveEffectiveApproval([g], parentOf, (x) => byGroup.get(x))?.action === 'install',
      );
      if (installGroups.length === 0 || covers.length > 0) replacing.push(b.updateId);
      for (const g of covers) uncovered.delete(g);
    }
    if (withEula === approved.length)
      return keep('eula', 'every approved superseding update has a license agreement (EulaID)');
    if (uncovered.size > 0 || replacing.length === 0)
      return keep(
        'groups-not-covered',
        `no approved superseding update is approved for group(s) ${[...uncovered].join(', ')}`,
        replacing,
      );
    return { reason: null, replacedBy: replacing };
  }

  /**
   * Patchbay records no EULA acceptance, so an update with a license agreement is a case for the admin: the
   * superseded one may be what computers that never accepted the newer agreement still install.
   */
  private async declaresEula(revisionId: number): Promise<boolean> {
    return (await readStoredDocument(this.store, revisionId))?.eulaId !== undefined;
  }
}

function toGroupApprovals(records: readonly ApprovalRecord[]): Map<GroupId, GroupApproval> {
  return new Map(
    records.map((a) => [
      a.groupId,
      {
        groupId: a.groupId,
        action: a.action === 'not_approved' ? 'notApproved' : a.action,
        deadlineAt: a.deadlineAt ?? undefined,
      },
    ]),
  );
}
