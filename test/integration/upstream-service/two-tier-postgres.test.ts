import { after, describe } from 'node:test';
import { pgSkip, stopPostgres } from '../sync/harness.js';
import { twoTierScenario } from './two-tier-scenario.js';

if (pgSkip !== undefined) void describe('two tiers on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  twoTierScenario('postgres');
}
