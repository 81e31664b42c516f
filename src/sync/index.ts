// Synchronization from an upstream: the transport (undici, proxy, TLS pins, retry, circuit breaker), the
// MS-WSUSSS metadata sync engine, catalog status, and the pipeline `patchbay sync` and the schedule run
// (metadata sync, then the approval rules, then the content download of src/content-sync).
export * from './upstream-transport/index.js';
export * from './engine/index.js';
export * from './rollup/index.js';
export {
  rollupAfterSync,
  rollupEnabled,
  runSyncPipeline,
  syncOptionsFromConfig,
  type SyncPipelineDeps,
  type SyncPipelineOptions,
  type SyncPipelineResult,
} from './sync-pipeline.js';
export * from './rollout/index.js';
