import { fuzzOperations } from './client-ws-fuzz.js';

// SyncUpdates alone (the largest bodies); client-ws-operations.test.ts runs the other operations in parallel.
fuzzOperations(['SyncUpdates']);
