import { createRepositories, type DbHandle } from '../../storage/index.js';
import type { SyncStores, SyncTransaction } from './sync-ports.js';

/** The storage repositories as the engine's ports, and a transaction that binds them to one `trx`. */
export function syncStoresOf(handle: DbHandle): { stores: SyncStores; transaction: SyncTransaction } {
  return {
    stores: createRepositories(handle),
    transaction: (fn) =>
      handle.transaction((trx) => fn(createRepositories({ db: trx, dialect: handle.dialect }))),
  };
}
