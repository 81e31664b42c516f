import {
  allComputersGroupId,
  evaluateGate,
  formatDuration,
  parseDuration,
  type GateResult,
} from '../domain/index.js';
import { AppError } from '../errors.js';
import type {
  RingFigures,
  RingRecord,
  RingScope,
  RolloutRecord,
  RolloutStage,
  RolloutState,
} from '../storage/index.js';
import { actorText, type AdminActor } from './admin-actor.js';
import type { AdminStore, AdminStores } from './admin-store.js';
import type { ApprovalsService } from './approvals-service.js';
import type { RingsService } from './rings-service.js';
import type { UpdateSelection } from './updates-service.js';

/** Stable event names of rollout log lines (docs/rings.md "Events"). */
export type RolloutEvent =
  | 'rollout.started'
  | 'rollout.promoted'
  | 'rollout.paused'
  | 'rollout.resumed'
  | 'rollout.skipped'
  | 'rollout.stopped'
  | 'rollout.completed';

/** Where rollout events go: a log line with `event` and the fields (the notification hook later). */
export type RolloutEventSink = (event: RolloutEvent, fields: Record<string, unknown>) => void;

export interface PlannedStage {
  readonly position: number;
  readonly ring: string;
  readonly ringId: number;
  /** Computers the stage reaches now (membership can change before the stage starts). */
  readonly computers: number;
  readonly soak: string;
  /** The earliest start, if every earlier gate passes at the end of its soak. */
  readonly earliestStartAt: number;
  readonly deadlineOffset: string | null;
  readonly earliestDeadlineAt: number | null;
  readonly gate: {
    readonly minReported: number;
    readonly maxFailurePercent: number;
    readonly maxFaultPercent: number;
    readonly maxUninstalls: number;
  };
}

export interface RolloutStartResult {
  readonly dryRun: boolean;
  readonly schedule: readonly PlannedStage[];
  readonly rollouts: readonly {
    readonly rolloutId: number | null;
    readonly updateId: string;
    readonly title: string | null;
    readonly kbArticleId: string | null;
  }[];
  readonly skipped: readonly { updateId: string; code: string; message: string }[];
}

export interface RolloutStatus {
  readonly rolloutId: number;
  readonly updateId: string;
  readonly title: string | null;
  readonly kbArticleId: string | null;
  readonly state: RolloutState;
  readonly ring: string;
  readonly position: number;
  readonly stages: number;
  readonly since: number;
  readonly gate: {
    readonly verdict: GateResult['verdict'];
    readonly figures: RingFigures & {
      readonly reported: number;
      readonly failurePercent: number;
      readonly faultPercent: number;
    };
    readonly thresholds: PlannedStage['gate'];
    readonly reasons: readonly string[];
  } | null;
  /** When the rollout moves on if the gate holds (running, soak not over); null otherwise. */
  readonly nextPromotionAt: number | null;
  readonly holdReason: string | null;
  readonly evidence: unknown;
  readonly plan: readonly (RolloutStage & { readonly deadlineOffset: string | null })[];
  readonly createdBy: string;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

export interface TickResult {
  readonly evaluated: number;
  readonly promoted: number;
  readonly paused: number;
  readonly completed: number;
}

/** Failing computers an evidence record names (the codes are counted over all of them). */
const evidenceComputers = 50;
/** Updates one ringed approval request can start. */
const maxRolloutsPerRequest = 100;
/** "stopped scanning" looks back one soak before the stage; at least an hour so a short soak is not noise. */
const minStoppedWindowMs = 3_600_000;
/**
 * The client service records a computer's last scan at most once a minute (client-web-service.ts
 * touchIntervalMs); with a margin, a computer that scanned this close before a stage started is not silent.
 */
const lastScanGraceMs = 5 * 60_000;
const promotionActor: AdminActor = { via: 'system', name: 'rollout' };

/**
 * Ringed approvals (docs/rings.md): an install approval that starts in the first ring of its plan and moves to the
 * next ring when the soak time has passed and the ring's health gate holds; it pauses, with the evidence, when
 * the gate fails. `tick` is the promotion step `serve` runs under a job lease; every stage change is a
 * conditional update (RolloutRepository.transition) committed with its approvals and audit rows, so it happens
 * once however many nodes evaluate the same rollout.
 */
export class RolloutsService {
  constructor(
    private readonly store: AdminStore,
    private readonly rings: RingsService,
    private readonly approvals: ApprovalsService,
    private readonly opts: {
      onApplied?: (updateIds: readonly string[]) => void;
      events?: RolloutEventSink;
    } = {},
  ) {}

  /**
   * A plan: `all` (every ring in order) or ring names in ring order, comma-separated, each optionally with a
   * deadline offset from its stage start (`pilot+2d,broad+7d`; `all+3d` gives every ring the offset).
   * Rings left out are not stages: their computers follow the last stage, like computers in no ring.
   */
  async parsePlan(text: string): Promise<RolloutStage[]> {
    const rings = await this.store.repos.rings.list();
    if (rings.length === 0)
      throw new AppError('PB_ERR_CONFLICT', 'no ring exists: create rings first (patchbay rings create)');
    const v = typeof text === 'string' ? text.trim() : '';
    if (v.length === 0 || v.length > 2048)
      throw new AppError(
        'PB_ERR_INVALID_PARAMETER',
        'rings plan must be "all" or ring names, comma-separated',
        {
          detail: { parameter: 'rings' },
        },
      );
    const entries = v.split(',').map((e) => e.trim());
    const stages: RolloutStage[] = [];
    for (const entry of entries) {
      const [name, offset, extra] = entry.split('+');
      if (extra !== undefined || name === undefined || name.length === 0)
        throw new AppError(
          'PB_ERR_INVALID_PARAMETER',
          `rings plan entry ${JSON.stringify(entry)} is not ring[+deadline]`,
          {
            detail: { parameter: 'rings' },
          },
        );
      const deadlineOffsetMs = offset === undefined ? null : parseDuration(offset, 'rings deadline');
      if (name.toLowerCase() === 'all') {
        if (entries.length > 1)
          throw new AppError('PB_ERR_INVALID_PARAMETER', '"all" stands alone in a rings plan', {
            detail: { parameter: 'rings' },
          });
        return rings.map((r) => ({ ringId: r.ringId, ringName: r.name, deadlineOffsetMs }));
      }
      const ring = await this.rings.resolve(name, 'rings');
      if (stages.some((s) => s.ringId === ring.ringId))
        throw new AppError('PB_ERR_INVALID_PARAMETER', `ring ${ring.name} is twice in the plan`, {
          detail: { parameter: 'rings' },
        });
      const prev = stages.at(-1);
      const prevPos = prev === undefined ? -1 : rings.find((r) => r.ringId === prev.ringId)!.position;
      if (ring.position < prevPos)
        throw new AppError(
          'PB_ERR_INVALID_PARAMETER',
          `the plan must follow the ring order: ${ring.name} comes before ${prev!.ringName}`,
          { detail: { parameter: 'rings' } },
        );
      stages.push({ ringId: ring.ringId, ringName: ring.name, deadlineOffsetMs });
    }
    return stages;
  }

  /** Starts one rollout per selected update (or, with `dryRun`, only shows the schedule it would follow). */
  async start(
    req: { selection: UpdateSelection; plan: string; dryRun?: boolean },
    actor: AdminActor,
    now = Date.now(),
  ): Promise<RolloutStartResult> {
    const plan = await this.parsePlan(req.plan);
    const { rows, skipped } = await this.approvals.approvable(req.selection, 'install');
    if (rows.length > maxRolloutsPerRequest)
      throw new AppError(
        'PB_ERR_INVALID_PARAMETER',
        `${rows.length} updates selected: a ringed approval starts at most ${maxRolloutsPerRequest} rollouts`,
        { detail: { parameter: 'selection' } },
      );
    const schedule = await this.schedule(plan, now);
    const described = rows.map((u) => ({ updateId: u.updateId, title: u.title, kbArticleId: u.kbArticleId }));
    if (req.dryRun === true)
      return { dryRun: true, schedule, rollouts: described.map((d) => ({ ...d, rolloutId: null })), skipped };
    const started = await this.begin(described, plan, actor, now, null);
    return { dryRun: false, schedule, rollouts: started, skipped };
  }

  /**
   * The rollouts an automatic approval rule with a ring plan starts (approval-rules-service.ts): one per update
   * the rule matched (checked approvable by the caller), on the rule's stages under the rings' current names.
   * No per-request cap: the rule, not a hand-typed selection, chose the updates.
   */
  async startForRule(
    ruleId: number,
    stages: readonly RolloutStage[],
    updates: readonly { updateId: string; title: string | null; kbArticleId: string | null }[],
    actor: AdminActor,
    now = Date.now(),
  ): Promise<RolloutStartResult['rollouts'][number][]> {
    if (updates.length === 0) return [];
    const plan = (await this.planRings(stages)).map((ring, i) => ({
      ringId: ring.ringId,
      ringName: ring.name,
      deadlineOffsetMs: stages[i]!.deadlineOffsetMs,
    }));
    return this.begin(updates, plan, actor, now, ruleId);
  }

  /** Updates with a running or paused rollout (a second one is refused by the repository). */
  async activeUpdateIds(): Promise<Set<string>> {
    const active = await this.store.repos.rollouts.list({ states: ['running', 'paused'] });
    return new Set(active.map((r) => r.updateId));
  }

  /** Creates the rollouts and approves their first ring, in one transaction; then tells the sink. */
  private async begin(
    updates: readonly { updateId: string; title: string | null; kbArticleId: string | null }[],
    plan: readonly RolloutStage[],
    actor: AdminActor,
    now: number,
    ruleId: number | null,
  ): Promise<RolloutStartResult['rollouts'][number][]> {
    const started: RolloutStartResult['rollouts'][number][] = [];
    await this.store.transaction(async (r) => {
      for (const u of updates) {
        const rollout = await r.rollouts.create(
          {
            updateId: u.updateId,
            action: 'install',
            plan,
            createdBy: actorText(actor),
            createdVia: actor.via,
            ruleId,
          },
          now,
        );
        await this.approveStage(r, rollout, 0, now, actor);
        await r.auditLog.append(
          {
            actor: actorText(actor),
            action: 'rollout.start',
            targetType: 'update',
            targetId: u.updateId,
            detail: { rolloutId: rollout.rolloutId, plan, ...(ruleId !== null ? { ruleId } : {}) },
          },
          now,
        );
        started.push({ ...u, rolloutId: rollout.rolloutId });
      }
    });
    for (const s of started)
      this.emit('rollout.started', {
        rolloutId: s.rolloutId,
        updateId: s.updateId,
        ring: plan[0]!.ringName,
        ...(ruleId !== null ? { ruleId } : {}),
      });
    this.opts.onApplied?.(started.map((s) => s.updateId));
    return started;
  }

  /** The schedule a plan would follow from `now`: each stage's earliest start, deadline and gate. */
  async schedule(plan: readonly RolloutStage[], now = Date.now()): Promise<PlannedStage[]> {
    const rings = await this.planRings(plan);
    const scopes = await this.scopes(rings);
    let at = now;
    const out: PlannedStage[] = [];
    for (const [i, ring] of rings.entries()) {
      const figures = await this.store.repos.ringFigures.figures({
        updateId: '00000000-0000-0000-0000-000000000000',
        scope: scopes[i]!,
        since: now,
        stoppedWindowMs: 0,
      });
      const offset = plan[i]!.deadlineOffsetMs;
      out.push({
        position: i,
        ring: ring.name,
        ringId: ring.ringId,
        computers: figures.computers,
        soak: formatDuration(ring.soakMs),
        earliestStartAt: at,
        deadlineOffset: offset === null ? null : formatDuration(offset),
        earliestDeadlineAt: offset === null ? null : at + offset,
        gate: thresholds(ring),
      });
      at += ring.soakMs;
    }
    return out;
  }

  /** Rollouts with their gate figures now; `states` defaults to running and paused. */
  async status(
    filter: { rolloutId?: number; states?: readonly RolloutState[] } = {},
    now = Date.now(),
  ): Promise<RolloutStatus[]> {
    const list =
      filter.rolloutId !== undefined
        ? [await this.require(filter.rolloutId)]
        : await this.store.repos.rollouts.list({ states: filter.states ?? ['running', 'paused'] });
    const out: RolloutStatus[] = [];
    for (const r of list) out.push(await this.describe(r, now));
    return out;
  }

  async history(rolloutId: number) {
    await this.require(rolloutId);
    return this.store.repos.rollouts.history(rolloutId);
  }

  /** Promotion step: evaluates every running rollout's gate and promotes, pauses or completes it. */
  async tick(now = Date.now()): Promise<TickResult> {
    const running = await this.store.repos.rollouts.list({ states: ['running'] });
    let promoted = 0;
    let paused = 0;
    let completed = 0;
    for (const r of running) {
      const outcome = await this.evaluateOne(r, now);
      if (outcome === 'promoted') promoted++;
      else if (outcome === 'paused') paused++;
      else if (outcome === 'completed') completed++;
    }
    return { evaluated: running.length, promoted, paused, completed };
  }

  /** A paused rollout runs again in the same ring: a new soak from now; what failed before is accepted. */
  async resume(rolloutId: number, actor: AdminActor, now = Date.now()): Promise<RolloutStatus> {
    const r = await this.require(rolloutId);
    if (r.state !== 'paused')
      throw new AppError(
        'PB_ERR_CONFLICT',
        `rollout ${rolloutId} is ${r.state}; only a paused rollout resumes`,
      );
    await this.change(
      r,
      { state: 'running', position: r.position, stageStartedAt: now, holdReason: null },
      'resumed',
      actor,
      now,
    );
    this.emit('rollout.resumed', {
      rolloutId,
      updateId: r.updateId,
      ring: r.plan[r.position]!.ringName,
      actor: actorText(actor),
    });
    return this.describe(await this.require(rolloutId), now);
  }

  /** Moves a running or paused rollout to its next ring now, whatever the gate says (promotion by hand). */
  async skip(rolloutId: number, actor: AdminActor, now = Date.now()): Promise<RolloutStatus> {
    const r = await this.require(rolloutId);
    if (r.state !== 'running' && r.state !== 'paused')
      throw new AppError(
        'PB_ERR_CONFLICT',
        `rollout ${rolloutId} is ${r.state}; only a running or paused rollout moves`,
      );
    const last = r.position === r.plan.length - 1;
    if (last)
      await this.change(
        r,
        {
          state: 'completed',
          position: r.position,
          stageStartedAt: r.stageStartedAt,
          holdReason: null,
          finishedAt: now,
        },
        'skipped',
        actor,
        now,
      );
    else await this.promote(r, actor, now, 'skipped');
    this.emit('rollout.skipped', {
      rolloutId,
      updateId: r.updateId,
      from: r.plan[r.position]!.ringName,
      to: last ? null : r.plan[r.position + 1]!.ringName,
      actor: actorText(actor),
    });
    return this.describe(await this.require(rolloutId), now);
  }

  /** Ends a rollout where it is: the rings it reached keep their approvals, the others never get one. */
  async stop(rolloutId: number, actor: AdminActor, now = Date.now()): Promise<RolloutStatus> {
    const r = await this.require(rolloutId);
    if (r.state !== 'running' && r.state !== 'paused')
      throw new AppError('PB_ERR_CONFLICT', `rollout ${rolloutId} is already ${r.state}`);
    await this.change(
      r,
      {
        state: 'stopped',
        position: r.position,
        stageStartedAt: r.stageStartedAt,
        holdReason: `stopped by ${actorText(actor)}`,
        evidence: r.evidence,
        finishedAt: now,
      },
      'stopped',
      actor,
      now,
    );
    this.emit('rollout.stopped', {
      rolloutId,
      updateId: r.updateId,
      ring: r.plan[r.position]!.ringName,
      actor: actorText(actor),
    });
    return this.describe(await this.require(rolloutId), now);
  }

  private async evaluateOne(
    r: RolloutRecord,
    now: number,
  ): Promise<'promoted' | 'paused' | 'completed' | 'held' | 'lost'> {
    const rings = await this.planRings(r.plan);
    const ring = rings[r.position]!;
    const result = await this.gate(r, rings, now);
    const expect = { state: r.state, position: r.position, stageStartedAt: r.stageStartedAt };
    const stage = { rolloutId: r.rolloutId, updateId: r.updateId, ring: ring.name };
    if (result.verdict === 'fail') {
      const scopes = await this.scopes(rings);
      const failures = await this.store.repos.ringFigures.failures(
        { updateId: r.updateId, scope: scopes[r.position]!, since: r.stageStartedAt },
        evidenceComputers,
      );
      const evidence = {
        at: now,
        ring: ring.name,
        figures: result.figures,
        checks: result.gate.checks,
        reasons: result.gate.reasons,
        ...failures,
      };
      const ok = await this.store.transaction((s) =>
        s.rollouts.transition(
          r.rolloutId,
          expect,
          {
            state: 'paused',
            position: r.position,
            stageStartedAt: r.stageStartedAt,
            holdReason: result.gate.reasons.join('; '),
            evidence,
          },
          { event: 'paused', actor: actorText(promotionActor), detail: { reasons: result.gate.reasons } },
          now,
        ),
      );
      if (!ok) return 'lost';
      this.emit('rollout.paused', {
        ...stage,
        reasons: result.gate.reasons,
        failedComputers: failures.computers.length,
        codes: failures.codes,
      });
      return 'paused';
    }
    if (result.verdict === 'wait') {
      const reason = result.gate.reasons.join('; ');
      if (reason !== r.holdReason) await this.store.repos.rollouts.noteHold(r.rolloutId, expect, reason);
      return 'held';
    }
    const figures = { figures: result.figures };
    if (r.position === r.plan.length - 1) {
      const ok = await this.store.transaction((s) =>
        s.rollouts.transition(
          r.rolloutId,
          expect,
          {
            state: 'completed',
            position: r.position,
            stageStartedAt: r.stageStartedAt,
            holdReason: null,
            finishedAt: now,
          },
          { event: 'completed', actor: actorText(promotionActor), detail: figures },
          now,
        ),
      );
      if (!ok) return 'lost';
      this.emit('rollout.completed', { ...stage, ...figures });
      return 'completed';
    }
    if (!(await this.promote(r, promotionActor, now, 'promoted', figures))) return 'lost';
    this.emit('rollout.promoted', { ...stage, to: r.plan[r.position + 1]!.ringName, ...figures });
    return 'promoted';
  }

  /** Moves to the next stage and approves its ring, in one transaction; false if someone moved first. */
  private async promote(
    r: RolloutRecord,
    actor: AdminActor,
    now: number,
    event: 'promoted' | 'skipped',
    detail?: unknown,
  ): Promise<boolean> {
    const next = r.position + 1;
    const ok = await this.store.transaction(async (s) => {
      const moved = await s.rollouts.transition(
        r.rolloutId,
        { state: r.state, position: r.position, stageStartedAt: r.stageStartedAt },
        { state: 'running', position: next, stageStartedAt: now, holdReason: null },
        { event, actor: actorText(actor), detail },
        now,
      );
      if (moved) await this.approveStage(s, r, next, now, actor);
      // A skip is a hand-made decision: audited like resume and stop (a gate promotion is in the history).
      if (moved && event === 'skipped')
        await s.auditLog.append(
          {
            actor: actorText(actor),
            action: 'rollout.skip',
            targetType: 'rollout',
            targetId: String(r.rolloutId),
            detail: { updateId: r.updateId, ring: r.plan[r.position]!.ringName, to: r.plan[next]!.ringName },
          },
          now,
        );
      return moved;
    });
    if (!ok && event === 'skipped')
      throw new AppError(
        'PB_ERR_CONFLICT',
        `rollout ${r.rolloutId} changed meanwhile; look at its status again`,
      );
    if (ok) this.opts.onApplied?.([r.updateId]);
    return ok;
  }

  private async change(
    r: RolloutRecord,
    change: Parameters<AdminStores['rollouts']['transition']>[2],
    event: string,
    actor: AdminActor,
    now: number,
  ): Promise<void> {
    const ok = await this.store.transaction(async (s) => {
      const moved = await s.rollouts.transition(
        r.rolloutId,
        { state: r.state, position: r.position, stageStartedAt: r.stageStartedAt },
        change,
        { event, actor: actorText(actor) },
        now,
      );
      if (moved)
        await s.auditLog.append(
          {
            actor: actorText(actor),
            action: `rollout.${event === 'resumed' ? 'resume' : event === 'stopped' ? 'stop' : 'skip'}`,
            targetType: 'rollout',
            targetId: String(r.rolloutId),
            detail: { updateId: r.updateId, ring: r.plan[r.position]!.ringName },
          },
          now,
        );
      return moved;
    });
    if (!ok)
      throw new AppError(
        'PB_ERR_CONFLICT',
        `rollout ${r.rolloutId} changed meanwhile; look at its status again`,
      );
  }

  /**
   * Install approvals for the ring of stage `position` (its own groups; approvals inherit to child groups), with
   * the stage's deadline. The last stage also approves All Computers: computers in no ring follow it.
   */
  private async approveStage(
    s: AdminStores,
    r: RolloutRecord,
    position: number,
    now: number,
    actor: AdminActor,
  ): Promise<void> {
    const stage = r.plan[position]!;
    const ring = (await s.rings.list()).find((x) => x.ringId === stage.ringId);
    if (ring === undefined)
      throw new AppError(
        'PB_ERR_CONFLICT',
        `ring ${stage.ringName} of rollout ${r.rolloutId} no longer exists`,
      );
    const groupIds = [...ring.groupIds, ...(position === r.plan.length - 1 ? [allComputersGroupId] : [])];
    const deadlineAt = stage.deadlineOffsetMs === null ? null : now + stage.deadlineOffsetMs;
    await s.approvals.set(
      [...new Set(groupIds)].map((groupId) => ({
        updateId: r.updateId,
        groupId,
        action: 'install' as const,
        deadlineAt,
        approvedBy: actor.name,
        approvedVia: `rollout:${r.rolloutId}`,
      })),
      now,
    );
    for (const groupId of new Set(groupIds))
      await s.auditLog.append(
        {
          actor: actorText(actor),
          action: 'approval.set',
          targetType: 'update',
          targetId: r.updateId,
          detail: { groupId, action: 'install', deadlineAt, rolloutId: r.rolloutId, ring: ring.name },
        },
        now,
      );
  }

  private async gate(r: RolloutRecord, rings: readonly RingRecord[], now: number) {
    const ring = rings[r.position]!;
    const scopes = await this.scopes(rings);
    const figures = await this.store.repos.ringFigures.figures({
      updateId: r.updateId,
      scope: scopes[r.position]!,
      since: r.stageStartedAt,
      stoppedWindowMs: Math.max(ring.soakMs, minStoppedWindowMs),
      stoppedGraceMs: lastScanGraceMs,
    });
    const soakElapsed = now >= r.stageStartedAt + ring.soakMs;
    const gate = evaluateGate(figures, ring, soakElapsed);
    return {
      verdict: gate.verdict,
      gate,
      figures: {
        ...figures,
        reported: gate.reported,
        failurePercent: gate.failurePercent,
        faultPercent: gate.faultPercent,
      },
    };
  }

  private async describe(r: RolloutRecord, now: number): Promise<RolloutStatus> {
    const [update] = await this.store.repos.adminQueries.listUpdates({ updateIds: [r.updateId], limit: 1 });
    const active = r.state === 'running' || r.state === 'paused';
    const rings = active ? await this.planRings(r.plan) : undefined;
    const g = rings !== undefined ? await this.gate(r, rings, now) : undefined;
    const ring = rings?.[r.position];
    const soakEnd = ring !== undefined ? r.stageStartedAt + ring.soakMs : null;
    return {
      rolloutId: r.rolloutId,
      updateId: r.updateId,
      title: update?.title ?? null,
      kbArticleId: update?.kbArticleId ?? null,
      state: r.state,
      ring: r.plan[r.position]!.ringName,
      position: r.position,
      stages: r.plan.length,
      since: r.stageStartedAt,
      gate:
        g === undefined || ring === undefined
          ? null
          : { verdict: g.verdict, figures: g.figures, thresholds: thresholds(ring), reasons: g.gate.reasons },
      nextPromotionAt:
        r.state === 'running' && soakEnd !== null && g?.verdict !== 'fail' ? Math.max(soakEnd, now) : null,
      holdReason: r.state === 'running' ? g?.gate.reasons.join('; ') || null : r.holdReason,
      evidence: r.evidence,
      plan: r.plan.map((s) => ({
        ...s,
        deadlineOffset: s.deadlineOffsetMs === null ? null : formatDuration(s.deadlineOffsetMs),
      })),
      createdBy: r.createdBy,
      createdAt: r.createdAt,
      finishedAt: r.finishedAt,
    };
  }

  /** The current ring records of a plan, in plan order (a plan ring cannot be deleted while in use). */
  private async planRings(plan: readonly RolloutStage[]): Promise<RingRecord[]> {
    const rings = await this.store.repos.rings.list();
    return plan.map((s) => {
      const ring = rings.find((x) => x.ringId === s.ringId);
      if (ring === undefined) throw new AppError('PB_ERR_CONFLICT', `ring ${s.ringName} no longer exists`);
      return ring;
    });
  }

  /** What each stage measures: its expanded groups minus the earlier stages'; the last stage, everyone else. */
  private async scopes(rings: readonly RingRecord[]): Promise<RingScope[]> {
    const expanded = await this.rings.expandedGroups(rings);
    return rings.map((_, i) => ({
      groupIds: expanded[i]!,
      excludeGroupIds: expanded.slice(0, i).flat(),
      everyComputer: i === rings.length - 1,
    }));
  }

  private async require(rolloutId: number): Promise<RolloutRecord> {
    const r = Number.isInteger(rolloutId) ? await this.store.repos.rollouts.get(rolloutId) : undefined;
    if (r === undefined) throw new AppError('PB_ERR_NOT_FOUND', `rollout ${rolloutId} does not exist`);
    return r;
  }

  private emit(event: RolloutEvent, fields: Record<string, unknown>): void {
    this.opts.events?.(event, fields);
  }
}

function thresholds(r: RingRecord): PlannedStage['gate'] {
  return {
    minReported: r.minReported,
    maxFailurePercent: r.maxFailurePercent,
    maxFaultPercent: r.maxFaultPercent,
    maxUninstalls: r.maxUninstalls,
  };
}
