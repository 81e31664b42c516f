import type { Logger } from 'pino';
import { expandRingGroups, type CatalogRingSource } from '../../domain/index.js';
import type { JobDefinition } from '../../jobs/index.js';
import { createRepositories, type DbHandle } from '../../storage/index.js';
import { CatalogRolloutService, type RolloutServiceDeps } from './catalog-rollout-service.js';

/**
 * The rollout rings as `patchbay rings` stores them (the one place `serve`, the sync and the CLI read them
 * from), each with the groups it reaches first: its own, their descendants, less those of earlier rings
 * (docs/rings.md "Membership"), so a computer's ring is the first ring holding one of its groups.
 */
export function storedCatalogRings(db: DbHandle): CatalogRingSource {
  const repos = createRepositories(db);
  return {
    catalogRings: async () => {
      const rings = await repos.rings.list();
      if (rings.length === 0) return [];
      const groups = await repos.groups.list();
      const reach = expandRingGroups(new Map(groups.map((g) => [g.groupId, g.parentGroupId])), rings);
      return rings.map((r, i) => ({
        name: r.name,
        groupIds: reach[i]!,
        soakMs: r.soakMs,
        minReported: r.minReported,
        maxFaultRate: r.maxFaultPercent / 100,
      }));
    },
  };
}

/** The service over one database (the CLI, the REST API and the job use the same). */
export function createCatalogRolloutService(
  db: DbHandle,
  deps: { rings: CatalogRingSource; logger: Logger; onHeld?: RolloutServiceDeps['onHeld'] },
): CatalogRolloutService {
  const repos = createRepositories(db);
  return new CatalogRolloutService({
    store: repos.catalogRollouts,
    audit: repos.auditLog,
    rings: deps.rings,
    logger: deps.logger,
    ...(deps.onHeld ? { onHeld: deps.onHeld } : {}),
  });
}

/** How often `serve` evaluates the gate: soak times are hours or days, a minute late is nothing. */
export const rolloutCheckEveryMs = 60_000;

/**
 * The promotion job of ringed catalog changes: every minute, once per cluster (the job lease; the
 * conditional writes make a second node's step a no-op even without it). State is in the database only, so
 * a restart mid-soak resumes the same schedule. `clock` lets tests drive time.
 */
export function catalogRolloutJob(deps: {
  service: CatalogRolloutService;
  clock?: () => number;
}): JobDefinition {
  const clock = deps.clock ?? Date.now;
  return {
    name: 'catalog-rollout',
    description:
      'promote a ringed catalog generation ring by ring when its soak time passed and its gate holds',
    trigger: { kind: 'interval', everyMs: rolloutCheckEveryMs },
    leaseTtlMs: 5 * 60_000,
    run: async () => {
      await deps.service.step(clock());
    },
  };
}
