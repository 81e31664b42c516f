import { after, describe } from 'node:test';
import { pgSkip, stopPostgres } from '../sync/harness.js';
import { downstreamInputScenario } from './downstream-input-scenario.js';

if (pgSkip !== undefined) void describe('downstream input on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  downstreamInputScenario('postgres');
}
