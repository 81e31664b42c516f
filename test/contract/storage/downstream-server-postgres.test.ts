import { describe } from 'node:test';
import { migratedPostgresDatabases, postgresSkipReason } from '../../helpers/postgres.js';
import { runDownstreamServerContract } from './downstream-server-contract.js';

const skip = postgresSkipReason();

if (skip !== undefined) {
  void describe('downstream server registry on PostgreSQL', { skip }, () => undefined);
} else {
  const databases = migratedPostgresDatabases('pb_dss_template');

  runDownstreamServerContract('PostgreSQL', (t) => databases.open(t, 2));
}
