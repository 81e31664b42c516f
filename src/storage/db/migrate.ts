import { Migrator } from 'kysely';
import { AppError } from '../../errors.js';
import { createMigrationProvider } from './migrations/index.js';
import type { DbHandle } from './open-database.js';

export interface MigrationReport {
  /** Names of the migrations applied by this call (empty when already up to date). */
  readonly applied: readonly string[];
}

/**
 * Brings the schema to the latest version. Kysely runs all pending migrations in one transaction; on
 * PostgreSQL it first takes an advisory lock, so several nodes starting together apply each migration
 * once and the others wait, then find nothing to do. On SQLite the write lock serialises them.
 */
function createMigrator(handle: DbHandle): Migrator {
  return new Migrator({
    db: handle.db,
    provider: createMigrationProvider(handle.dialect),
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

export interface MigrationStatus {
  readonly applied: readonly { name: string; executedAt: Date }[];
  readonly pending: readonly string[];
}

/** Which migrations the database has and which it still needs; changes nothing. */
export async function migrationStatus(handle: DbHandle): Promise<MigrationStatus> {
  const migrations = await createMigrator(handle).getMigrations();
  return {
    applied: migrations.flatMap((m) => (m.executedAt ? [{ name: m.name, executedAt: m.executedAt }] : [])),
    pending: migrations.filter((m) => !m.executedAt).map((m) => m.name),
  };
}

export async function migrateToLatest(handle: DbHandle): Promise<MigrationReport> {
  const migrator = createMigrator(handle);
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new AppError(
      'PB_ERR_DB_MIGRATION',
      `database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      { cause: error, detail: failed === undefined ? {} : { migration: failed } },
    );
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
