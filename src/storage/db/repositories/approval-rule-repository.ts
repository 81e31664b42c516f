import type { Selectable } from 'kysely';
import { AppError } from '../../../errors.js';
import type { ApprovalAction, ApprovalRulesTable } from '../database.js';
import type { Executor } from '../transaction.js';
import type { RolloutStage } from './rollout-repository.js';

/** What a rule matches: an update matches when EVERY non-empty list contains one of its categories. */
export interface ApprovalRuleCriteria {
  readonly classificationIds: readonly string[];
  readonly productIds: readonly string[];
}

export interface ApprovalRuleInput {
  readonly name: string;
  readonly isEnabled?: boolean;
  readonly action?: ApprovalAction;
  readonly criteria: ApprovalRuleCriteria;
  readonly groupIds: readonly string[];
  /** Deadline = the moment the rule approves + this offset; null = no deadline (optional install). */
  readonly deadlineOffsetMs?: number | null;
  readonly priority?: number;
  /** A ring plan: the rule starts a ringed approval instead of approving for groups; null/absent = plain. */
  readonly ringsPlan?: readonly RolloutStage[] | null;
}

export interface ApprovalRuleRecord {
  readonly ruleId: number;
  readonly name: string;
  readonly isEnabled: boolean;
  readonly action: ApprovalAction;
  readonly criteria: ApprovalRuleCriteria;
  readonly groupIds: string[];
  readonly deadlineOffsetMs: number | null;
  readonly priority: number;
  /** The stages a ringed rule's rollouts follow (ring ids; names as when the plan was set); null = plain. */
  readonly ringsPlan: readonly RolloutStage[] | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type ApprovalRulePatch = Partial<Omit<ApprovalRuleInput, 'criteria'>> & {
  readonly criteria?: ApprovalRuleCriteria;
};

/** Automatic approval rules (approval_rules). Criteria and group lists are JSON text, parsed defensively. */
export class ApprovalRuleRepository {
  constructor(private readonly db: Executor) {}

  async create(input: ApprovalRuleInput, now = Date.now()): Promise<ApprovalRuleRecord> {
    const row = await this.db
      .insertInto('approval_rules')
      .values({
        name: input.name,
        is_enabled: input.isEnabled === false ? 0 : 1,
        action: input.action ?? 'install',
        criteria: JSON.stringify(normaliseCriteria(input.criteria)),
        group_ids: JSON.stringify(lowerAll(input.groupIds)),
        deadline_offset_ms: input.deadlineOffsetMs ?? null,
        priority: input.priority ?? 0,
        rings_plan: plainOrPlan(input.ringsPlan),
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async get(ruleId: number): Promise<ApprovalRuleRecord | undefined> {
    const row = await this.db
      .selectFrom('approval_rules')
      .selectAll()
      .where('rule_id', '=', ruleId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Rules in evaluation order (priority, then id). */
  async list(page: { afterRuleId?: number; limit?: number; enabledOnly?: boolean } = {}) {
    let q = this.db.selectFrom('approval_rules').selectAll();
    if (page.afterRuleId !== undefined) q = q.where('rule_id', '>', page.afterRuleId);
    if (page.enabledOnly === true) q = q.where('is_enabled', '=', 1);
    const rows = await q
      .orderBy('rule_id')
      .limit(page.limit ?? 1000)
      .execute();
    return rows.map(toRecord).sort((a, b) => a.priority - b.priority || a.ruleId - b.ruleId);
  }

  async update(ruleId: number, patch: ApprovalRulePatch, now = Date.now()): Promise<ApprovalRuleRecord> {
    const set: Partial<Record<keyof ApprovalRulesTable, unknown>> = { updated_at: now };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.isEnabled !== undefined) set.is_enabled = patch.isEnabled ? 1 : 0;
    if (patch.action !== undefined) set.action = patch.action;
    if (patch.criteria !== undefined) set.criteria = JSON.stringify(normaliseCriteria(patch.criteria));
    if (patch.groupIds !== undefined) set.group_ids = JSON.stringify(lowerAll(patch.groupIds));
    if (patch.deadlineOffsetMs !== undefined) set.deadline_offset_ms = patch.deadlineOffsetMs;
    if (patch.priority !== undefined) set.priority = patch.priority;
    if (patch.ringsPlan !== undefined) set.rings_plan = plainOrPlan(patch.ringsPlan);
    const row = await this.db
      .updateTable('approval_rules')
      .set(set as never)
      .where('rule_id', '=', ruleId)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new AppError('PB_ERR_NOT_FOUND', `rule ${ruleId} does not exist`);
    return toRecord(row);
  }

  async delete(ruleId: number): Promise<boolean> {
    const r = await this.db.deleteFrom('approval_rules').where('rule_id', '=', ruleId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function plainOrPlan(plan: readonly RolloutStage[] | null | undefined): string | null {
  return plan === undefined || plan === null || plan.length === 0 ? null : JSON.stringify(plan);
}

/** Stages read back defensively: an entry without a numeric ring id is dropped (it could approve nothing). */
function parsePlan(text: string | null): RolloutStage[] | null {
  if (text === null) return null;
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v)) return null;
  const stages = v
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .filter((e) => typeof e.ringId === 'number')
    .map((e) => ({
      ringId: e.ringId as number,
      ringName: typeof e.ringName === 'string' ? e.ringName : String(e.ringId),
      deadlineOffsetMs: typeof e.deadlineOffsetMs === 'number' ? e.deadlineOffsetMs : null,
    }));
  return stages.length > 0 ? stages : null;
}

function lowerAll(ids: readonly string[]): string[] {
  return [...new Set(ids.map((g) => g.toLowerCase()))].sort();
}

function normaliseCriteria(c: ApprovalRuleCriteria): ApprovalRuleCriteria {
  return { classificationIds: lowerAll(c.classificationIds), productIds: lowerAll(c.productIds) };
}

function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function toRecord(r: Selectable<ApprovalRulesTable>): ApprovalRuleRecord {
  let criteria: unknown;
  let groups: unknown;
  let ringsPlan: RolloutStage[] | null;
  try {
    criteria = JSON.parse(r.criteria);
    groups = JSON.parse(r.group_ids);
    ringsPlan = parsePlan(r.rings_plan);
  } catch (e) {
    throw new AppError('PB_ERR_DB', `approval rule ${r.rule_id} holds malformed JSON`, { cause: e });
  }
  const c = (criteria ?? {}) as { classificationIds?: unknown; productIds?: unknown };
  return {
    ruleId: r.rule_id,
    name: r.name,
    isEnabled: r.is_enabled === 1,
    action: r.action,
    criteria: {
      classificationIds: stringArray(c.classificationIds),
      productIds: stringArray(c.productIds),
    },
    groupIds: stringArray(groups),
    deadlineOffsetMs: r.deadline_offset_ms,
    priority: r.priority,
    ringsPlan,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
