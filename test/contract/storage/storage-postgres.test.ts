import { describe } from 'node:test';
import { migratedPostgresDatabases, postgresSkipReason } from '../../helpers/postgres.js';
import { runBoundaryRepositoriesContract } from './boundary-repositories-contract.js';
import { runClientEventRetentionContract } from './client-event-retention-contract.js';
import { runConsumerRepositoriesContract } from './consumer-repositories-contract.js';
import { runDownstreamServerContract } from './downstream-server-contract.js';
import { runSyncRepositoriesContract } from './sync-repositories-contract.js';
import { runReportQueryContract } from './report-query-contract.js';
import { runRingContract } from './ring-contract.js';
import { runRepositoryContract } from './repository-contract.js';

const skip = postgresSkipReason();

if (skip !== undefined) {
  void describe('storage repositories on PostgreSQL', { skip }, () => undefined);
} else {
  const databases = migratedPostgresDatabases('pb_template');

  runRepositoryContract('PostgreSQL', (t) => databases.open(t, 4));
  runClientEventRetentionContract('PostgreSQL', (t) => databases.open(t, 4));
  runConsumerRepositoriesContract('PostgreSQL', (t) => databases.open(t, 4));
  runBoundaryRepositoriesContract('PostgreSQL', (t) => databases.open(t, 4));
  runSyncRepositoriesContract('PostgreSQL', (t) => databases.open(t, 4));
  runReportQueryContract('PostgreSQL', (t) => databases.open(t, 4));
  runDownstreamServerContract('PostgreSQL', (t) => databases.open(t, 4));
  runRingContract('PostgreSQL', (t) => databases.open(t, 4));
}
