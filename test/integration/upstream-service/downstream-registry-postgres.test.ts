import { after, describe } from 'node:test';
import { pgSkip, stopPostgres } from '../sync/harness.js';
import { downstreamRegistryScenario } from './downstream-registry-scenario.js';

if (pgSkip !== undefined)
  void describe('downstream registry on PostgreSQL', { skip: pgSkip }, () => undefined);
else {
  after(stopPostgres);
  downstreamRegistryScenario('postgres');
}
