/**
 * The database a command works on. Only `serve` and `db migrate` create one: any other command opening a
 * missing SQLite file would create an empty `./data/patchbay.db` and print empty lists (or, for `sync`, fill
 * a second catalog that no server reads after a typo in `-c` or `data_dir`), so it says where it looked
 * instead (PB_ERR_NOT_FOUND, exit 66). An existing database with an older schema is brought up to date.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { AppError } from '../errors.js';
import { databaseOptions, describeDatabase } from '../main.js';
import { migrateToLatest, migrationStatus, openDatabase, type DbHandle } from '../storage/index.js';

export { describeDatabase } from '../main.js';

/** Where the command looked, and how to create the database. */
export function noDatabaseError(config: Config): AppError {
  const where = describeDatabase(databaseOptions(config));
  const key = config.database.driver === 'sqlite' ? 'database.path' : 'database.url';
  return new AppError(
    'PB_ERR_NOT_FOUND',
    `no Patchbay database at ${where} (${key}): run \`patchbay db migrate\` to create it, or point -c at the configuration of the existing one`,
  );
}

/** Opens the configured database, refusing to create it; an existing schema is made current. */
export async function openCliDatabase(config: Config): Promise<DbHandle> {
  const options = databaseOptions(config);
  if (options.driver === 'sqlite' && !existsSync(options.path)) throw noDatabaseError(config);
  const handle = openDatabase(options);
  try {
    if ((await migrationStatus(handle)).applied.length === 0) throw noDatabaseError(config);
    await migrateToLatest(handle);
    return handle;
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}
