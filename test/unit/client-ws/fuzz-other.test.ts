import { decoders, fuzzOperations } from './fuzz-operations.js';

// Every operation but SyncUpdates (fuzz.test.ts), so the two files run in parallel.
fuzzOperations(Object.keys(decoders).filter((n) => n !== 'SyncUpdates'));
