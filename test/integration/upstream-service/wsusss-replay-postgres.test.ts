import { after, describe } from 'node:test';
import { pgSkip, stopPostgres } from '../sync/harness.js';
import { replayScenario } from './wsusss-replay-scenario.js';

if (pgSkip !== undefined) void describe('WSUSSS replay on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  replayScenario('postgres');
}
