// Ringed catalog changes (docs/rings.md "Ringed catalog changes"): the health gate, the promotion job and
// promote / hold / abort by hand. Starting a rollout is the sync's activation (engine/activate-generation.ts).
export { evaluateCatalogGate, type GateFigures, type GateVerdict } from './catalog-gate.js';
export {
  CatalogRolloutService,
  type RolloutServiceDeps,
  type RolloutStatus,
  type CatalogRolloutStore,
  type StepOutcome,
} from './catalog-rollout-service.js';
export {
  catalogRolloutJob,
  createCatalogRolloutService,
  rolloutCheckEveryMs,
  storedCatalogRings,
} from './catalog-rollout-job.js';
