import { decoders, fuzzOperations } from './client-ws-fuzz.js';

// Every operation but SyncUpdates (client-ws-sync-updates.test.ts), so the two files run in parallel.
fuzzOperations(Object.keys(decoders).filter((n) => n !== 'SyncUpdates'));
