import type { Logger } from 'pino';
import { ringIndexOf, type CatalogRing, type CatalogRingSource } from '../../domain/index.js';
import { AppError } from '../../errors.js';
import type { AuditEntry, RingEvidenceRow, CatalogRolloutRecord } from '../../storage/index.js';
import { evaluateCatalogGate, type GateFigures, type GateVerdict } from './catalog-gate.js';

/** The rollout repository as the service uses it (CatalogRolloutRepository implements it). */
export interface CatalogRolloutStore {
  current(): Promise<CatalogRolloutRecord | undefined>;
  latest(): Promise<CatalogRolloutRecord | undefined>;
  promote(
    rolloutId: number,
    step: { fromRing: number; toRing: number; lastRing: number },
    now?: number,
  ): Promise<CatalogRolloutRecord | undefined>;
  hold(
    rolloutId: number,
    at: { ringIndex: number; reason: string },
    now?: number,
  ): Promise<CatalogRolloutRecord | undefined>;
  abort(rolloutId: number, reason: string, now?: number): Promise<CatalogRolloutRecord | undefined>;
  ringEvidence(generationId: number, groupIds: readonly string[]): Promise<RingEvidenceRow[]>;
}

export interface RolloutServiceDeps {
  readonly store: CatalogRolloutStore;
  readonly audit: { append(entry: AuditEntry, now?: number): Promise<void> };
  readonly rings: CatalogRingSource;
  readonly logger: Logger;
  /** Told when a generation is held, by its gate or by hand (the notification hook of `serve`). */
  readonly onHeld?: (h: { generationId: number; ringIndex: number; reason: string; byHand: boolean }) => void;
}

/** What `catalog rollout` shows: the rollout, its ring, the gate figures now and what happens next. */
export interface RolloutStatus {
  readonly rollout: CatalogRolloutRecord;
  readonly rings: readonly string[];
  /** Undefined when the rollout's ring no longer exists (the rings changed under it). */
  readonly figures: GateFigures | undefined;
  /** When the promotion job decides next (the end of the soak), or null while held. */
  readonly nextDecisionAt: number | null;
}

/** What one run of the promotion job did. */
export type StepOutcome =
  | { readonly kind: 'idle' }
  | { readonly kind: 'wait'; readonly rollout: CatalogRolloutRecord; readonly figures: GateFigures }
  | Moved;

type Moved =
  | {
      readonly kind: 'promoted' | 'completed' | 'held';
      readonly rollout: CatalogRolloutRecord;
      readonly reason?: string;
    }
  /** Another node (or the admin) moved the rollout between our read and our write. */
  | { readonly kind: 'lost' };

/**
 * Ringed catalog changes after they start (src/sync/engine/activate-generation.ts starts them): the
 * promotion job's step (gate -> promote or hold), and promote / hold / abort by hand. Every change is a
 * conditional write in storage, so two nodes stepping at once move a rollout once; the second gets `lost`.
 */
export class CatalogRolloutService {
  constructor(private readonly deps: RolloutServiceDeps) {}

  async status(now = Date.now()): Promise<RolloutStatus | undefined> {
    const rollout = (await this.deps.store.current()) ?? (await this.deps.store.latest());
    if (rollout === undefined) return undefined;
    const rings = await this.deps.rings.catalogRings();
    const inProgress = rollout.state === 'soaking' || rollout.state === 'held';
    const ring = rings[rollout.ringIndex];
    const figures =
      inProgress && ring !== undefined && rollout.ringIndex < rings.length - 1
        ? (await this.verdict(rollout, rings, now)).figures
        : undefined;
    return {
      rollout,
      rings: rings.map((r) => r.name),
      figures,
      nextDecisionAt:
        rollout.state === 'soaking' && ring !== undefined ? rollout.ringEnteredAt + ring.soakMs : null,
    };
  }

  /** The promotion job: evaluates the current ring's gate and promotes or holds (or waits for the soak). */
  async step(now = Date.now()): Promise<StepOutcome> {
    const rollout = await this.deps.store.current();
    if (rollout === undefined || rollout.state !== 'soaking') return { kind: 'idle' };
    const rings = await this.deps.rings.catalogRings();
    if (rollout.ringIndex >= rings.length - 1) {
      const reason =
        `the rings changed: ring ${rollout.ringIndex} is no longer followed by another ring ` +
        `(${rings.length} configured); promote or abort by hand`;
      return this.held(rollout, reason, now);
    }
    const v = await this.verdict(rollout, rings, now);
    if (v.kind === 'wait') return { kind: 'wait', rollout, figures: v.figures };
    if (v.kind === 'hold') return this.held(rollout, v.reason, now, v.figures);
    return this.promoted(rollout, rings, now, 'gate', v.figures);
  }

  /** By hand: the rollout (soaking or held) moves to the next ring now, whatever the gate says. */
  async promote(actor: string, now = Date.now()): Promise<CatalogRolloutRecord> {
    const rollout = await this.requireCurrent();
    const rings = await this.deps.rings.catalogRings();
    const out = await this.promoted(rollout, rings, now, actor);
    if (out.kind === 'lost') throw moved();
    await this.audit(actor, 'catalog.rollout.promote', out.rollout, { fromRing: rollout.ringIndex }, now);
    return out.rollout;
  }

  /** By hand: the rollout stays where it is (the rings it reached keep it) until promote or abort. */
  async hold(actor: string, reason: string | undefined, now = Date.now()): Promise<CatalogRolloutRecord> {
    const rollout = await this.requireCurrent();
    if (rollout.state === 'held')
      throw new AppError(
        'PB_ERR_CONFLICT',
        `the rollout of generation ${rollout.generationId} is already held`,
      );
    const out = await this.held(
      rollout,
      `held by ${actor}${reason ? `: ${reason}` : ''}`,
      now,
      undefined,
      true,
    );
    if (out.kind === 'lost') throw moved();
    await this.audit(actor, 'catalog.rollout.hold', out.rollout, { reason: reason ?? null }, now);
    return out.rollout;
  }

  /** By hand: every ring is served the previous generation again; the rollout's generation is rolled back. */
  async abort(actor: string, reason: string | undefined, now = Date.now()): Promise<CatalogRolloutRecord> {
    const rollout = await this.requireCurrent();
    const out = await this.deps.store.abort(
      rollout.rolloutId,
      `aborted by ${actor}${reason ? `: ${reason}` : ''}`,
      now,
    );
    if (out === undefined) throw moved();
    this.deps.logger.warn(
      {
        event: 'catalog.generation.aborted',
        generationId: out.generationId,
        ring: out.ringIndex,
        previousGenerationId: out.previousGenerationId,
        actor,
      },
      `catalog generation ${out.generationId} aborted: every ring is served generation ${out.previousGenerationId ?? '-'} again`,
    );
    await this.audit(actor, 'catalog.rollout.abort', out, { reason: reason ?? null }, now);
    return out;
  }

  private async verdict(
    rollout: CatalogRolloutRecord,
    rings: readonly CatalogRing[],
    now: number,
  ): Promise<GateVerdict> {
    const r = rollout.ringIndex;
    const groups = rings.slice(0, r + 1).flatMap((ring) => ring.groupIds);
    const rows = (await this.deps.store.ringEvidence(rollout.generationId, [...new Set(groups)])).filter(
      (row) => ringIndexOf(rings, row.groupIds) === r,
    );
    return evaluateCatalogGate(rings[r]!, r, rows, rollout.ringEnteredAt, now);
  }

  private async promoted(
    rollout: CatalogRolloutRecord,
    rings: readonly CatalogRing[],
    now: number,
    by: string,
    figures?: GateFigures,
  ): Promise<Moved> {
    const lastRing = Math.max(rings.length - 1, rollout.ringIndex + 1);
    const out = await this.deps.store.promote(
      rollout.rolloutId,
      { fromRing: rollout.ringIndex, toRing: rollout.ringIndex + 1, lastRing },
      now,
    );
    if (out === undefined) return { kind: 'lost' };
    const completed = out.state === 'completed';
    this.deps.logger.info(
      {
        event: completed ? 'catalog.generation.completed' : 'catalog.generation.promoted',
        generationId: out.generationId,
        fromRing: rollout.ringIndex,
        ring: out.ringIndex,
        by,
        ...(figures ? { figures } : {}),
      },
      completed
        ? `catalog generation ${out.generationId} promoted to every ring: it is the active generation`
        : `catalog generation ${out.generationId} promoted to ring ${out.ringIndex} (${rings[out.ringIndex]?.name ?? '?'})`,
    );
    return { kind: completed ? 'completed' : 'promoted', rollout: out };
  }

  private async held(
    rollout: CatalogRolloutRecord,
    reason: string,
    now: number,
    figures?: GateFigures,
    byHand = false,
  ): Promise<Moved> {
    const out = await this.deps.store.hold(rollout.rolloutId, { ringIndex: rollout.ringIndex, reason }, now);
    if (out === undefined) return { kind: 'lost' };
    this.deps.onHeld?.({ generationId: out.generationId, ringIndex: out.ringIndex, reason, byHand });
    // The log line with its stable event name; `onHeld` sends the notification.
    this.deps.logger.warn(
      {
        event: 'catalog.generation.held',
        generationId: out.generationId,
        ring: out.ringIndex,
        reason,
        ...(figures ? { figures } : {}),
      },
      `catalog generation ${out.generationId} held in ring ${out.ringIndex}: ${reason}`,
    );
    return { kind: 'held', rollout: out, reason };
  }

  private async requireCurrent(): Promise<CatalogRolloutRecord> {
    const r = await this.deps.store.current();
    if (r === undefined)
      throw new AppError(
        'PB_ERR_CONFLICT',
        'no catalog rollout is in progress (a new generation rolls out when rings are configured and a sync changes the catalog)',
      );
    return r;
  }

  private async audit(
    actor: string,
    action: string,
    r: CatalogRolloutRecord,
    detail: Record<string, unknown>,
    now: number,
  ): Promise<void> {
    await this.deps.audit.append(
      {
        actor,
        action,
        targetType: 'catalog_generation',
        targetId: String(r.generationId),
        detail: { ...detail, rolloutId: r.rolloutId, ring: r.ringIndex, state: r.state },
      },
      now,
    );
  }
}

function moved(): AppError {
  return new AppError('PB_ERR_CONFLICT', 'the rollout changed meanwhile (another node or admin): look again');
}
