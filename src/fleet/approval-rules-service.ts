import { AppError } from '../errors.js';
import type { ApprovalRuleRecord, RolloutStage, UpdateRow } from '../storage/index.js';
import { actorText, type AdminActor } from './admin-actor.js';
import { requireName } from './admin-input.js';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './admin-paging.js';
import type { AdminStore } from './admin-store.js';
import type { ApprovalChange, ApprovalsService } from './approvals-service.js';
import type { GroupsService } from './groups-service.js';
import { autonomous, type ReplicaGuard } from './replica-guard.js';
import type { RolloutsService } from './rollouts-service.js';
import { unknownNameError } from './unknown-name.js';

/** The two server-wide switches of WSUS's "Automatic Approvals > Advanced" page. */
export interface RuleSwitches {
  /** A new revision of an update keeps the update's approvals (off: its install/uninstall approvals are removed). */
  readonly approveNewRevisionsOfApproved: boolean;
  /** New revisions that arrive expired are declined. */
  readonly declineExpired: boolean;
}

export const ruleSwitchesSetting = 'approvals.ruleSwitches';
const defaultSwitches: RuleSwitches = { approveNewRevisionsOfApproved: true, declineExpired: false };

export interface RuleInput {
  readonly name: string;
  /** Classification ids or titles (any of); empty = any classification. */
  readonly classifications?: readonly string[];
  /** Product ids or titles (any of); empty = any product. */
  readonly products?: readonly string[];
  /** Group ids or names the rule approves for (none when the rule has a rings plan). */
  readonly groups?: readonly string[];
  /** Deadline offset in days after the approval (0..365); absent = no deadline. */
  readonly deadlineDays?: number | null;
  readonly enabled?: boolean;
  /**
   * A rings plan as `approve --rings` takes it ("all", or "pilot+2d,broad+7d"): the rule then starts a ringed
   * approval in ring 0 for each update it matches instead of approving for groups; null = back to groups.
   */
  readonly rings?: string | null;
}

/** A rollout a ringed rule started (or, in a dry run, would start: `rolloutId` null). */
export interface RuleRollout {
  readonly ruleId: number;
  readonly rolloutId: number | null;
  readonly updateId: string;
  readonly title: string | null;
  readonly kbArticleId: string | null;
  /** The ring it starts in. */
  readonly ring: string;
}

/** What one rule run (or the new-revision hook) did or, in a dry run, would do. */
export interface RuleRunResult {
  readonly dryRun: boolean;
  readonly approvals: (ApprovalChange & { ruleId: number })[];
  /** Ringed approvals started by rules with a rings plan. */
  readonly rollouts: RuleRollout[];
  readonly declined: string[];
  /** Updates whose approvals were removed because "approve new revisions" is off. */
  readonly revoked: { updateId: string; groupId: string }[];
}

const dayMs = 86_400_000;

/**
 * Automatic approval rules: by classification and/or product, to groups, with a deadline offset. The sync
 * engine calls `applyRulesToNewRevisions` after importing; administrators run a rule now or dry-run it.
 */
export class ApprovalRulesService {
  constructor(
    private readonly store: AdminStore,
    private readonly approvals: ApprovalsService,
    private readonly groups: GroupsService,
    /** Starts the ringed approvals of rules with a rings plan. */
    private readonly rollouts: RolloutsService,
    /** `[upstream] mode = replica`: no automatic approvals (WSUS disables them on replicas). */
    private readonly replica: ReplicaGuard = autonomous,
  ) {}

  async list(page: PageRequest = {}): Promise<Page<ApprovalRuleRecord>> {
    const limit = pageLimit(page.limit);
    const after = decodeCursor(page.cursor, ['number']);
    const rows = await this.store.repos.approvalRules.list({
      ...(after ? { afterRuleId: after[0] as number } : {}),
      limit: limit + 1,
    });
    rows.sort((a, b) => a.ruleId - b.ruleId);
    const named: ApprovalRuleRecord[] = [];
    for (const r of rows) named.push(await this.withCurrentRingNames(r));
    return toPage(
      named,
      limit,
      (r) => r,
      (r) => [r.ruleId],
    );
  }

  async get(ruleId: number): Promise<ApprovalRuleRecord> {
    const id = requireRuleId(ruleId);
    const r = await this.store.repos.approvalRules.get(id);
    if (r === undefined) throw new AppError('PB_ERR_NOT_FOUND', `rule ${id} does not exist`);
    return this.withCurrentRingNames(r);
  }

  async create(input: RuleInput, actor: AdminActor, now = Date.now()): Promise<ApprovalRuleRecord> {
    this.replica.refuse('creating approval rules');
    const fields = await this.resolveInput(input);
    return this.store.transaction(async (r) => {
      const rule = await r.approvalRules.create(
        {
          name: fields.name!,
          isEnabled: input.enabled !== false,
          action: 'install',
          criteria: fields.criteria!,
          groupIds: fields.groupIds!,
          deadlineOffsetMs: fields.deadlineOffsetMs ?? null,
          ringsPlan: fields.ringsPlan ?? null,
        },
        now,
      );
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'rule.create',
          targetType: 'rule',
          targetId: String(rule.ruleId),
          detail: { ...rule },
        },
        now,
      );
      return rule;
    });
  }

  /** Changes some fields of a rule (the others stay). */
  async update(
    ruleId: number,
    patch: Partial<RuleInput>,
    actor: AdminActor,
    now = Date.now(),
  ): Promise<ApprovalRuleRecord> {
    this.replica.refuse('changing approval rules');
    const current = await this.get(ruleId);
    const fields = await this.resolveInput(patch, current);
    return this.store.transaction(async (r) => {
      const rule = await r.approvalRules.update(
        current.ruleId,
        {
          ...(fields.name !== undefined ? { name: fields.name } : {}),
          ...(fields.criteria !== undefined ? { criteria: fields.criteria } : {}),
          ...(fields.groupIds !== undefined ? { groupIds: fields.groupIds } : {}),
          ...(fields.deadlineOffsetMs !== undefined ? { deadlineOffsetMs: fields.deadlineOffsetMs } : {}),
          ...(fields.ringsPlan !== undefined ? { ringsPlan: fields.ringsPlan } : {}),
          ...(patch.enabled !== undefined ? { isEnabled: patch.enabled } : {}),
        },
        now,
      );
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'rule.update',
          targetType: 'rule',
          targetId: String(rule.ruleId),
          detail: { before: current, after: rule },
        },
        now,
      );
      return rule;
    });
  }

  async delete(ruleId: number, actor: AdminActor, now = Date.now()): Promise<ApprovalRuleRecord> {
    const rule = await this.get(ruleId);
    await this.store.transaction(async (r) => {
      await r.approvalRules.delete(rule.ruleId);
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'rule.delete',
          targetType: 'rule',
          targetId: String(rule.ruleId),
          detail: { name: rule.name },
        },
        now,
      );
    });
    return rule;
  }

  async getSwitches(): Promise<RuleSwitches> {
    const v = await this.store.repos.settings.get<Partial<RuleSwitches>>(ruleSwitchesSetting);
    return {
      approveNewRevisionsOfApproved:
        typeof v?.approveNewRevisionsOfApproved === 'boolean'
          ? v.approveNewRevisionsOfApproved
          : defaultSwitches.approveNewRevisionsOfApproved,
      declineExpired:
        typeof v?.declineExpired === 'boolean' ? v.declineExpired : defaultSwitches.declineExpired,
    };
  }

  async setSwitches(
    patch: Partial<RuleSwitches>,
    actor: AdminActor,
    now = Date.now(),
  ): Promise<RuleSwitches> {
    this.replica.refuse('changing the approval rule switches');
    for (const [k, v] of Object.entries(patch))
      if (!(k in defaultSwitches) || typeof v !== 'boolean')
        throw new AppError('PB_ERR_INVALID_PARAMETER', `${k} must be true or false`, {
          detail: { parameter: k },
        });
    const next = { ...(await this.getSwitches()), ...patch };
    await this.store.transaction(async (r) => {
      await r.settings.set(ruleSwitchesSetting, next, actorText(actor), now);
      await r.auditLog.append(
        {
          actor: actorText(actor),
          action: 'rule.switches',
          targetType: 'setting',
          targetId: ruleSwitchesSetting,
          detail: next,
        },
        now,
      );
    });
    return next;
  }

  /**
   * Runs one rule against the whole catalog now: every deployable, non-declined, non-expired update it
   * matches gets its approval on each of the rule's groups that has no explicit approval yet.
   */
  async run(
    ruleId: number,
    options: { dryRun?: boolean },
    actor: AdminActor,
    now = Date.now(),
  ): Promise<RuleRunResult> {
    this.replica.refuse('running approval rules');
    const rule = await this.get(ruleId);
    const matches: UpdateRow[] = [];
    for (let after: string | undefined; ;) {
      const rows = await this.store.repos.adminQueries.listUpdates({
        ...criteriaFilter(rule),
        ...(after ? { afterUpdateId: after } : {}),
        limit: 500,
      });
      matches.push(...rows);
      if (rows.length < 500) break;
      after = rows.at(-1)!.updateId;
    }
    const dryRun = options.dryRun === true;
    if (rule.ringsPlan !== null) {
      const ringed = await this.ringedCandidates(matches);
      const rollouts = await this.startRollouts(rule, ringed, dryRun, ruleActor(rule, actor), now);
      return { dryRun, approvals: [], rollouts, declined: [], revoked: [] };
    }
    const approvals = await this.plan([rule], matches, now);
    if (!dryRun) await this.approvals.apply(approvals, ruleActor(rule, actor), now);
    return { dryRun, approvals, rollouts: [], declined: [], revoked: [] };
  }

  /**
   * The sync engine's hook, called once with the revision ids a sync imported: declines expired arrivals
   * (when switched on), removes approvals of updates that got a new revision (when "approve new revisions of
   * approved updates" is off), then applies every enabled rule to the new revisions' updates.
   */
  async applyRulesToNewRevisions(
    revisionIds: readonly number[],
    options: { dryRun?: boolean } = {},
    now = Date.now(),
  ): Promise<RuleRunResult> {
    const dryRun = options.dryRun === true;
    const system: AdminActor = { via: 'system', name: 'sync' };
    const revisions = await this.store.repos.revisions.getManyByIds(revisionIds);
    const updateIds = [
      ...new Set(
        [...revisions.values()]
          .filter((r) => r.updateType === 'Software' || r.updateType === 'Driver')
          .map((r) => r.updateId),
      ),
    ];
    if (updateIds.length === 0) return { dryRun, approvals: [], rollouts: [], declined: [], revoked: [] };
    const switches = await this.getSwitches();
    const rows: UpdateRow[] = [];
    for (let i = 0; i < updateIds.length; i += 500)
      rows.push(
        ...(await this.store.repos.adminQueries.listUpdates({
          updateIds: updateIds.slice(i, i + 500),
          limit: 501,
        })),
      );

    const declined = switches.declineExpired
      ? rows
          .filter((u) => !u.isDeclined && (u.publicationState ?? '').toLowerCase() === 'expired')
          .map((u) => u.updateId)
      : [];
    if (!dryRun && declined.length > 0)
      await this.approvals.decline(
        { selection: { updateIds: declined }, reason: 'expired (automatic)' },
        system,
        now,
      );

    const revoked: { updateId: string; groupId: string }[] = [];
    if (!switches.approveNewRevisionsOfApproved) {
      // Approvals are stored per update; a revision that is new for an update approved before it arrived must
      // not inherit them, so they are removed and an administrator (or a rule below) approves it again.
      for (const rev of revisions.values()) {
        if (declined.includes(rev.updateId)) continue;
        const older = (await this.store.repos.revisions.listByUpdateId(rev.updateId)).some(
          (r) => r.revisionNumber < rev.revisionNumber,
        );
        if (!older) continue;
        for (const a of await this.store.repos.approvals.listForUpdate(rev.updateId))
          if (a.action !== 'not_approved' && a.approvedAt < now)
            revoked.push({ updateId: a.updateId, groupId: a.groupId });
      }
      if (!dryRun && revoked.length > 0)
        await this.approvals.apply(
          revoked.map((k) => ({
            updateId: k.updateId,
            title: null,
            kbArticleId: null,
            groupId: k.groupId,
            groupName: '',
            action: null,
            deadlineAt: null,
            previous: null,
            changed: true,
            coveredUpdateIds: [],
          })),
          { via: 'system', name: 'new-revision' },
          now,
        );
    }

    const rules = await this.store.repos.approvalRules.list({ enabledOnly: true });
    const candidates = rows.filter((u) => !declined.includes(u.updateId));
    const skip = new Set(dryRun ? [] : revoked.map((k) => `${k.updateId}|${k.groupId}`));
    const approvals: RuleRunResult['approvals'] = [];
    const done = new Set<string>();
    // An update a ringed rule takes goes through the rings only: no plain rule approves it for groups in the
    // same run, and a ringed rule leaves alone an update a plain rule (earlier by priority) approved.
    const ringedUpdates = new Map<number, UpdateRow[]>();
    const claimed = new Set<string>();
    for (const rule of rules) {
      const matching = (await this.matching(rule, candidates)).filter((u) => !claimed.has(u.updateId));
      if (rule.ringsPlan !== null) {
        const planned = new Set(approvals.map((a) => a.updateId));
        const mine = (await this.ringedCandidates(matching, skip)).filter((u) => !planned.has(u.updateId));
        for (const u of mine) claimed.add(u.updateId);
        ringedUpdates.set(rule.ruleId, mine);
        continue;
      }
      for (const change of await this.plan([rule], matching, now, skip)) {
        const key = `${change.updateId}|${change.groupId}`;
        if (done.has(key)) continue; // the first rule (by priority) that approves a pair wins
        done.add(key);
        approvals.push(change);
      }
    }
    if (!dryRun)
      for (const rule of rules) {
        const mine = approvals.filter((a) => a.ruleId === rule.ruleId);
        if (mine.length > 0) await this.approvals.apply(mine, ruleActor(rule, system), now);
      }
    const rollouts: RuleRollout[] = [];
    for (const rule of rules) {
      const mine = ringedUpdates.get(rule.ruleId);
      if (mine !== undefined && mine.length > 0)
        rollouts.push(...(await this.startRollouts(rule, mine, dryRun, ruleActor(rule, system), now)));
    }
    return { dryRun, approvals, rollouts, declined, revoked };
  }

  /**
   * The updates a ringed rule starts a rollout for: approvable for install, with no approval on any group yet
   * (an update already approved somewhere, by hand, by a rule or by an earlier rollout, is left alone) and no
   * running or paused rollout.
   */
  private async ringedCandidates(
    updates: readonly UpdateRow[],
    treatAsUnset: ReadonlySet<string> = new Set(),
  ): Promise<UpdateRow[]> {
    const active = await this.rollouts.activeUpdateIds();
    const out: UpdateRow[] = [];
    for (const u of updates) {
      if (active.has(u.updateId) || (await this.approvals.checkApprovable(u, 'install'))) continue;
      const approved = (await this.store.repos.approvals.listForUpdate(u.updateId)).some(
        (a) => !treatAsUnset.has(`${u.updateId}|${a.groupId}`),
      );
      if (!approved) out.push(u);
    }
    return out;
  }

  private async startRollouts(
    rule: ApprovalRuleRecord,
    updates: readonly UpdateRow[],
    dryRun: boolean,
    actor: AdminActor,
    now: number,
  ): Promise<RuleRollout[]> {
    const described = updates.map((u) => ({
      updateId: u.updateId,
      title: u.title,
      kbArticleId: u.kbArticleId,
    }));
    const ring = (await this.withCurrentRingNames(rule)).ringsPlan![0]!.ringName;
    if (dryRun) return described.map((d) => ({ ...d, ruleId: rule.ruleId, rolloutId: null, ring }));
    const started = await this.rollouts.startForRule(rule.ruleId, rule.ringsPlan!, described, actor, now);
    return started.map((d) => ({ ...d, ruleId: rule.ruleId, ring }));
  }

  /** A ringed rule's stages under the rings' current names (a ring renamed since keeps its place). */
  private async withCurrentRingNames(rule: ApprovalRuleRecord): Promise<ApprovalRuleRecord> {
    if (rule.ringsPlan === null) return rule;
    const names = new Map((await this.store.repos.rings.list()).map((r) => [r.ringId, r.name]));
    return {
      ...rule,
      ringsPlan: rule.ringsPlan.map((st) => ({ ...st, ringName: names.get(st.ringId) ?? st.ringName })),
    };
  }

  /** Approvals the rules would add for these updates: skips declined/expired/hidden updates and set pairs. */
  private async plan(
    rules: readonly ApprovalRuleRecord[],
    updates: readonly UpdateRow[],
    now: number,
    treatAsUnset: ReadonlySet<string> = new Set(),
  ): Promise<(ApprovalChange & { ruleId: number })[]> {
    const out: (ApprovalChange & { ruleId: number })[] = [];
    const groupNames = new Map((await this.store.repos.groups.list()).map((g) => [g.groupId, g.name]));
    for (const u of updates) {
      if (await this.approvals.checkApprovable(u, 'install')) continue;
      const existing = new Set(
        (await this.store.repos.approvals.listForUpdate(u.updateId))
          .map((a) => a.groupId)
          .filter((g) => !treatAsUnset.has(`${u.updateId}|${g}`)),
      );
      const covered = u.isBundle ? await this.store.repos.adminQueries.bundleMembers(u.revisionId) : [];
      for (const rule of rules)
        for (const g of rule.groupIds) {
          if (existing.has(g) || !groupNames.has(g)) continue;
          out.push({
            ruleId: rule.ruleId,
            updateId: u.updateId,
            title: u.title,
            kbArticleId: u.kbArticleId,
            groupId: g,
            groupName: groupNames.get(g)!,
            action: rule.action,
            deadlineAt: rule.deadlineOffsetMs === null ? null : now + rule.deadlineOffsetMs,
            previous: null,
            changed: true,
            coveredUpdateIds: covered,
          });
        }
    }
    return out;
  }

  private async matching(rule: ApprovalRuleRecord, candidates: readonly UpdateRow[]): Promise<UpdateRow[]> {
    if (candidates.length === 0) return [];
    const rows = await this.store.repos.adminQueries.listUpdates({
      ...criteriaFilter(rule),
      updateIds: candidates.map((c) => c.updateId),
      limit: candidates.length + 1,
    });
    return rows;
  }

  private async resolveInput(input: Partial<RuleInput>, current?: ApprovalRuleRecord) {
    const out: {
      name?: string;
      criteria?: { classificationIds: string[]; productIds: string[] };
      groupIds?: string[];
      deadlineOffsetMs?: number | null;
      ringsPlan?: RolloutStage[] | null;
    } = {};
    if (input.name !== undefined || current === undefined) out.name = requireName(input.name ?? '', 'name');
    if (input.classifications !== undefined || input.products !== undefined || current === undefined) {
      const classificationIds =
        input.classifications !== undefined
          ? await this.resolveCategories('UpdateClassification', input.classifications)
          : [...(current?.criteria.classificationIds ?? [])];
      const productIds =
        input.products !== undefined
          ? await this.resolveCategories('Product', input.products)
          : [...(current?.criteria.productIds ?? [])];
      if (classificationIds.length === 0 && productIds.length === 0)
        throw new AppError(
          'PB_ERR_INVALID_PARAMETER',
          'a rule needs at least one classification or product',
          {
            detail: { parameter: 'classification' },
          },
        );
      out.criteria = { classificationIds, productIds };
    }
    const ringed = await this.resolveRings(input, current);
    if (ringed !== undefined) {
      out.ringsPlan = ringed.plan;
      if (ringed.plan !== null) {
        // The rings name the groups and their deadlines (per stage offsets), as with `approve --rings`.
        out.groupIds = [];
        out.deadlineOffsetMs = null;
        return out;
      }
    }
    if (
      input.groups !== undefined ||
      current === undefined ||
      (current.groupIds.length === 0 && !ringedNow(ringed, current))
    ) {
      const names = input.groups ?? [];
      if (names.length === 0 || names.length > 64)
        throw new AppError('PB_ERR_INVALID_PARAMETER', 'a rule approves for 1 to 64 groups', {
          detail: { parameter: 'group' },
        });
      const ids: string[] = [];
      for (const n of names) ids.push((await this.groups.resolve(n)).groupId);
      out.groupIds = [...new Set(ids)];
    }
    if (input.deadlineDays !== undefined) {
      const d = input.deadlineDays;
      if (d !== null && (!Number.isInteger(d) || d < 0 || d > 365))
        throw new AppError('PB_ERR_INVALID_PARAMETER', 'deadline days must be an integer from 0 to 365', {
          detail: { parameter: 'deadlineDays' },
        });
      out.deadlineOffsetMs = d === null ? null : d * dayMs;
    }
    return out;
  }

  /**
   * The rings plan a create or change leaves the rule with: undefined = unchanged (and the rule stays as it is),
   * otherwise the plan (null = a plain rule). A ringed rule takes no groups and no deadline days.
   */
  private async resolveRings(
    input: Partial<RuleInput>,
    current: ApprovalRuleRecord | undefined,
  ): Promise<{ plan: RolloutStage[] | null } | undefined> {
    const plan =
      input.rings === undefined
        ? undefined
        : input.rings === null
          ? null
          : await this.rollouts.parsePlan(input.rings);
    const ringedAfter = plan !== undefined ? plan !== null : (current?.ringsPlan ?? null) !== null;
    if (ringedAfter && (input.groups !== undefined || (input.deadlineDays ?? null) !== null))
      throw new AppError(
        'PB_ERR_INVALID_PARAMETER',
        'a rule with a rings plan takes its groups and deadlines from the plan: leave out groups and deadline days (or set rings to null)',
        { detail: { parameter: input.groups !== undefined ? 'groups' : 'deadlineDays' } },
      );
    return plan === undefined ? undefined : { plan };
  }

  /** Category ids from ids or titles; a GUID is taken as is (the category may arrive with the next sync). */
  private async resolveCategories(
    type: 'Product' | 'UpdateClassification',
    names: readonly string[],
  ): Promise<string[]> {
    if (names.length > 50) throw new AppError('PB_ERR_INVALID_PARAMETER', 'at most 50 categories per rule');
    const resolved = await this.store.repos.adminQueries.resolveCategories(type, names);
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const out: string[] = [];
    for (const n of names) {
      const id = resolved.get(n) ?? (guid.test(n.trim()) ? n.trim().toLowerCase() : undefined);
      if (id === undefined) {
        const kind = type === 'Product' ? 'product' : 'classification';
        throw unknownNameError(kind, kind, n, await this.store.repos.adminQueries.categoryTitles(type));
      }
      out.push(id);
    }
    return [...new Set(out)];
  }
}

function ringedNow(
  ringed: { plan: RolloutStage[] | null } | undefined,
  current: ApprovalRuleRecord | undefined,
): boolean {
  return ringed !== undefined ? ringed.plan !== null : (current?.ringsPlan ?? null) !== null;
}

function criteriaFilter(rule: ApprovalRuleRecord) {
  return {
    ...(rule.criteria.classificationIds.length > 0
      ? { classifications: rule.criteria.classificationIds }
      : {}),
    ...(rule.criteria.productIds.length > 0 ? { products: rule.criteria.productIds } : {}),
  };
}

/** Rule-made approvals are audited as `rule:<id>`, with the person or job that triggered the run in the detail. */
function ruleActor(rule: ApprovalRuleRecord, _trigger: AdminActor): AdminActor {
  return { via: 'rule', name: String(rule.ruleId) };
}

function requireRuleId(v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff)
    throw new AppError('PB_ERR_INVALID_PARAMETER', 'rule id must be a positive integer', {
      detail: { parameter: 'ruleId' },
    });
  return v;
}
