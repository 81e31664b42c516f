import { fuzzOperations } from './fuzz-operations.js';

// SyncUpdates alone (the largest bodies); fuzz-other.test.ts runs the other operations in parallel.
fuzzOperations(['SyncUpdates']);
