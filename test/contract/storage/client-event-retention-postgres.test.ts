import { describe } from 'node:test';
import { migratedPostgresDatabases, postgresSkipReason } from '../../helpers/postgres.js';
import { runClientEventRetentionContract } from './client-event-retention-contract.js';

const skip = postgresSkipReason();

if (skip !== undefined) {
  void describe('client event bounds on PostgreSQL', { skip }, () => undefined);
} else {
  const databases = migratedPostgresDatabases('pb_events_template');

  runClientEventRetentionContract('PostgreSQL', (t) => databases.open(t, 2));
}
