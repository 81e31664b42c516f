import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase } from '../../../src/storage/index.js';
import { runBoundaryRepositoriesContract } from './boundary-repositories-contract.js';
import { runClientEventRetentionContract } from './client-event-retention-contract.js';
import { runConsumerRepositoriesContract } from './consumer-repositories-contract.js';
import { runDownstreamServerContract } from './downstream-server-contract.js';
import { runSyncRepositoriesContract } from './sync-repositories-contract.js';
import { runReportQueryContract } from './report-query-contract.js';
import { runRingContract } from './ring-contract.js';
import { runRepositoryContract, type MakeDb } from './repository-contract.js';

// A real file (WAL mode) in a fresh temp dir per test.
const makeDb: MakeDb = async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-sqlite-'));
  const handle = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
  t.after(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateToLatest(handle);
  return handle;
};

runRepositoryContract('SQLite', makeDb);
runClientEventRetentionContract('SQLite', makeDb);
runConsumerRepositoriesContract('SQLite', makeDb);
runBoundaryRepositoriesContract('SQLite', makeDb);
runSyncRepositoriesContract('SQLite', makeDb);
runReportQueryContract('SQLite', makeDb);
runDownstreamServerContract('SQLite', makeDb);
runRingContract('SQLite', makeDb);
