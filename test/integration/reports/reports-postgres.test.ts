import { after, describe } from 'node:test';
import { migrateToLatest, openDatabase } from '../../../src/storage/index.js';
import { postgresSkipReason, startPostgresCluster, type PostgresCluster } from '../../helpers/postgres.js';
import { runReportsSuite } from './reports-suite.js';

const skip = postgresSkipReason();

if (skip !== undefined) {
  void describe('reports on PostgreSQL', { skip }, () => undefined);
} else {
  let ready: Promise<{ cluster: PostgresCluster; template: string }> | undefined;
  const setup = () =>
    (ready ??= (async () => {
      const cluster = await startPostgresCluster();
      const template = 'pb_reports_template';
      const handle = openDatabase({
        driver: 'postgres',
        connectionString: await cluster.createDatabase({ name: template }),
      });
      try {
        await migrateToLatest(handle);
      } finally {
        await handle.close();
      }
      return { cluster, template };
    })());
  after(async () => {
    if (ready !== undefined) (await ready).cluster.stop();
  });
  runReportsSuite('PostgreSQL', async (t) => {
    const { cluster, template } = await setup();
    const handle = openDatabase({
      driver: 'postgres',
      connectionString: await cluster.createDatabase({ template }),
      poolSize: 4,
    });
    t.after(() => handle.close());
    return handle;
  });
}
