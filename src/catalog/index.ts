// Catalog services: the in-memory index of a generation, client scopes, and the SyncUpdates delivery algorithm.
export * from './index/index.js';
export * from './scope/index.js';
export * from './delivery/index.js';
