import { after, describe } from 'node:test';
import { pgSkip, stopPostgres } from '../sync/harness.js';
import { replicaScenario } from './replica-scenario.js';

if (pgSkip !== undefined) void describe('replica mode on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  replicaScenario('postgres');
}
