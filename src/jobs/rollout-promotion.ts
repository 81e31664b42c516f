import type { JobDefinition } from './job-registry.js';

/** The promotion step of ringed approvals (RolloutsService.tick). */
export interface RolloutPromoter {
  tick(now: number): Promise<{ evaluated: number; promoted: number; paused: number; completed: number }>;
}

/** How often `serve` evaluates the gates of running rollouts (a soak is hours or days; a minute is prompt). */
export const rolloutPromotionEveryMs = 60_000;

/**
 * Ringed approvals' promotion as a job: every minute, once per cluster (job lease), evaluate each running
 * rollout's gate and promote, pause or complete it. The lease keeps two nodes from doing the work twice; the
 * conditional stage update keeps a promotion exactly-once even if two evaluations overlapped (a lease expiring
 * mid-run). `now` is the scheduler's clock, so tests drive soaks of days in milliseconds.
 */
export function rolloutPromotionJob(deps: {
  promoter: RolloutPromoter;
  now: () => number;
  everyMs?: number;
}): JobDefinition {
  return {
    name: 'rollout-promotion',
    description: 'evaluate the health gates of ringed approvals and promote, pause or complete them',
    trigger: { kind: 'interval', everyMs: deps.everyMs ?? rolloutPromotionEveryMs },
    leaseTtlMs: 5 * 60_000,
    run: async ({ logger }) => {
      const r = await deps.promoter.tick(deps.now());
      if (r.promoted + r.paused + r.completed > 0) logger.info(r, 'rollout gates evaluated');
    },
  };
}
