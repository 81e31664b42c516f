import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase } from '../../../src/storage/index.js';
import { runDownstreamServerContract } from './downstream-server-contract.js';

runDownstreamServerContract('SQLite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-dss-'));
  const handle = openDatabase({ driver: 'sqlite', path: join(dir, 'patchbay.db') });
  t.after(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateToLatest(handle);
  return handle;
});
