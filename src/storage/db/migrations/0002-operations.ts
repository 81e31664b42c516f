import type { Kysely } from 'kysely';
import { autoIdColumn, columnTypes, type DialectName } from '../dialect.js';

/** Sync runs and anchors, the deployment change log, settings, cookie keys, API tokens, job leases. */
export async function up0002Operations(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('sync_anchors')
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('anchor', 'text')
    .addColumn('committed_at', t.int64)
    .addColumn('pending_anchor', 'text')
    .addColumn('pending_at', t.int64)
    .addColumn('sync_run_id', 'integer')
    .execute();

  const [runIdType, runIdCol] = autoIdColumn(dialect, 'int32');
  await db.schema
    .createTable('sync_runs')
    .addColumn('sync_run_id', runIdType, runIdCol)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('trigger_source', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text')
    .addColumn('started_at', t.int64, (c) => c.notNull())
    .addColumn('heartbeat_at', t.int64, (c) => c.notNull())
    .addColumn('finished_at', t.int64)
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('error_detail', 'text')
    .addColumn('counters', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('generation_id', 'integer')
    .execute();
  await db.schema.createIndex('sync_runs_started').on('sync_runs').columns(['started_at']).execute();

  const [seqType, seqCol] = autoIdColumn(dialect, 'int64');
  await db.schema
    .createTable('deployment_changes')
    .addColumn('change_seq', seqType, seqCol)
    .addColumn('changed_at', t.int64, (c) => c.notNull())
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('revision_id', 'integer')
    .addColumn('group_id', 'text')
    .addColumn('generation_id', 'integer')
    .addColumn('kind', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('deployment_changes_update')
    .on('deployment_changes')
    .columns(['update_id'])
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();

  const [keyIdType, keyIdCol] = autoIdColumn(dialect, 'int32');
  await db.schema
    .createTable('cookie_keys')
    .addColumn('key_id', keyIdType, keyIdCol)
    .addColumn('secret', t.blob, (c) => c.notNull())
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('retired_at', t.int64)
    .execute();

  const [tokenIdType, tokenIdCol] = autoIdColumn(dialect, 'int32');
  await db.schema
    .createTable('api_tokens')
    .addColumn('token_id', tokenIdType, tokenIdCol)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', t.blob, (c) => c.notNull().unique())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('expires_at', t.int64)
    .addColumn('last_used_at', t.int64)
    .addColumn('revoked_at', t.int64)
    .execute();

  await db.schema
    .createTable('connector_state')
    .addColumn('connector', 'text', (c) => c.primaryKey())
    .addColumn('watermark', 'text')
    .addColumn('last_run_at', t.int64)
    .addColumn('last_success_at', t.int64)
    .addColumn('last_outcome', 'text')
    .addColumn('last_error', 'text')
    .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_exported', t.int64, (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('job_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('fencing_token', t.int64, (c) => c.notNull())
    .addColumn('acquired_at', t.int64, (c) => c.notNull())
    .addColumn('expires_at', t.int64, (c) => c.notNull())
    .execute();
}
