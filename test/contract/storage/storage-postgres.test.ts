import { after, describe } from 'node:test';
import { migrateToLatest, openDatabase } from '../../../src/storage/index.js';
import { postgresSkipReason, startPostgresCluster, type PostgresCluster } from '../../helpers/postgres.js';
import { runRepositoryContract } from './repository-contract.js';

const skip = postgresSkipReason();

if (skip !== undefined) {
  void describe('storage repositories on PostgreSQL', { skip }, () => undefined);
} else {
  // One cluster for this file; each test gets a copy of a migrated template database.
  let ready: Promise<{ cluster: PostgresCluster; template: string }> | undefined;
  const setup = () =>
    (ready ??= (async () => {
      const cluster = await startPostgresCluster();
      const template = 'pb_template';
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

  runRepositoryContract('PostgreSQL', async (t) => {
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
