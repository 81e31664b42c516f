import { after, describe } from 'node:test';
import { catalogScenario } from './catalog-sync-scenario.js';
import { pgSkip, stopPostgres } from './harness.js';

if (pgSkip !== undefined) void describe('catalog sync on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  catalogScenario('postgres');
}
