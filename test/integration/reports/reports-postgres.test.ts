import { describe } from 'node:test';
import { migratedPostgresDatabases, postgresSkipReason } from '../../helpers/postgres.js';
import { runReportsSuite } from './reports-suite.js';

const skip = postgresSkipReason();

if (skip !== undefined) {
  void describe('reports on PostgreSQL', { skip }, () => undefined);
} else {
  const databases = migratedPostgresDatabases('pb_reports_template');
  runReportsSuite('PostgreSQL', (t) => databases.open(t, 4));
}
