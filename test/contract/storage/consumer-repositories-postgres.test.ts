import { describe } from 'node:test';
import { migratedPostgresDatabases, postgresSkipReason } from '../../helpers/postgres.js';
import { runConsumerRepositoriesContract } from './consumer-repositories-contract.js';

const skip = postgresSkipReason();

if (skip !== undefined) {
  void describe('content, category and connector-view repositories on PostgreSQL', { skip }, () => undefined);
} else {
  const databases = migratedPostgresDatabases('pb_consumer_repos_template');

  runConsumerRepositoriesContract('PostgreSQL', (t) => databases.open(t, 2));
}
