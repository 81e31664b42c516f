import { after, describe } from 'node:test';
import { pgSkip, stopPostgres } from '../sync/harness.js';
import { threeTierScenario } from './three-tier-scenario.js';

if (pgSkip !== undefined) void describe('three tiers on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  threeTierScenario('postgres');
}
