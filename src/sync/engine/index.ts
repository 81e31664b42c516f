export { runSync } from './run-sync.js';
export type { SyncDeps, SyncOptions, SyncProgress, SyncPhase, SyncResult } from './sync-types.js';
export { ServerSyncClient, type ServerSyncClientOptions, type SoapPoster } from './server-sync-client.js';
export {
  defaultSelection,
  getSelection,
  setSelection,
  listCategories,
  resolveSelection,
  wellKnownClassifications,
  type SyncSelection,
  type CategoryEntry,
} from './selection.js';
export {
  catalogStatus,
  compareGenerations,
  planRollback,
  rollbackCatalog,
  unpinCatalog,
  listQuarantine,
  syncHistory,
  type CatalogStatus,
  type GenerationDiff,
  type ServedUpdate,
} from './catalog-status.js';
export { computeClosure, type GraphRevision, type ClosureResult } from './closure.js';
export {
  prepareRevision,
  revisionInputFromDocument,
  revisionPropertiesOf,
  closureReasons,
  type QuarantineReason,
} from './prepare-revision.js';
export { membersDigest } from './activate-generation.js';
export { replicaInput } from './replica-deployments.js';
export { importRevisionBatches } from './import-run.js';
