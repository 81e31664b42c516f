import { after, describe } from 'node:test';
import { crashScenario } from './crash-scenario.js';
import { pgSkip, stopPostgres } from './harness.js';

if (pgSkip !== undefined) void describe('kill -9 sync on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  crashScenario('postgres');
}
