import type { Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * Jobs the REST API starts (issue 15: `POST /api/v1/sync`, content verify/download): one row per job with its
 * state and progress, written by the node that runs it and read by any node, since Patchbay runs as several
 * stateless nodes on one PostgreSQL. `exclusive_key` holds the job's kind ("sync") while the job is queued or
 * running and NULL afterwards: its unique index lets one insert per key win, so two nodes asked for a sync at
 * the same moment start one job, and the second caller is told the first one's id. `updated_at` is the
 * running node's heartbeat: a job whose node died is failed by the next reader instead of running forever.
 *
 * Frozen once released.
 */
export async function up0018Jobs(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('jobs')
    .addColumn('job_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('exclusive_key', 'text')
    .addColumn('progress_done', t.int64, (c) => c.notNull())
    .addColumn('progress_total', t.int64, (c) => c.notNull())
    .addColumn('progress_phase', 'text', (c) => c.notNull())
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .addColumn('finished_at', t.int64)
    .execute();
  await db.schema.createIndex('jobs_exclusive_key').on('jobs').column('exclusive_key').unique().execute();
  await db.schema.createIndex('jobs_finished_at').on('jobs').column('finished_at').execute();
}
