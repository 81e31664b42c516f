import { describe } from 'node:test';
import { migratedPostgresDatabases, postgresSkipReason } from '../../helpers/postgres.js';
import { runConnectorStateContract } from './connector-state-contract.js';

const skip = postgresSkipReason();

if (skip !== undefined) {
  void describe('connector state repository on PostgreSQL', { skip }, () => undefined);
} else {
  const databases = migratedPostgresDatabases('pb_cstate_template');

  runConnectorStateContract('PostgreSQL', (t) => databases.open(t, 2));
}
