import type { Kysely } from 'kysely';
import { autoIdColumn, columnTypes, type DialectName } from '../dialect.js';

/**
 * Ringed catalog changes (docs/rings.md "Ringed catalog changes"): a new generation is served to the rings up
 * to `ring_index` while everyone else keeps the active one. One row per rollout; the state (`soaking`, `held`,
 * `completed`, `aborted`) and the ring's start time live here, so a restart mid-soak resumes the same schedule
 * and several nodes on one PostgreSQL see one rollout. `members_digest` lets a sync recognise the member set
 * of a rollout the admin aborted, so it is not rolled out to ring 0 again unchanged.
 *
 * `rollout_scans`: per generation under rollout and computer, when it started and finished a scan of that
 * generation and when it last faulted: the gate's evidence. Only computers served a rollout generation get
 * rows, so the table holds at most (rollouts kept) x (computers in the early rings).
 */
export async function up0015CatalogRollouts(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  const [idType, idCol] = autoIdColumn(dialect, 'int32');
  await db.schema
    .createTable('catalog_rollouts')
    .addColumn('rollout_id', idType, idCol)
    .addColumn('generation_id', 'integer', (c) => c.notNull())
    .addColumn('previous_generation_id', 'integer')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('ring_index', 'integer', (c) => c.notNull())
    .addColumn('ring_entered_at', t.int64, (c) => c.notNull())
    .addColumn('held_reason', 'text')
    .addColumn('members_digest', 'text', (c) => c.notNull())
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .addColumn('finished_at', t.int64)
    .execute();
  await db.schema.createIndex('catalog_rollouts_state').on('catalog_rollouts').column('state').execute();
  await db.schema
    .createTable('rollout_scans')
    .addColumn('generation_id', 'integer', (c) => c.notNull())
    .addColumn('computer_id', 'text', (c) => c.notNull())
    .addColumn('started_at', t.int64)
    .addColumn('completed_at', t.int64)
    .addColumn('faulted_at', t.int64)
    .addColumn('fault_code', 'text')
    .addPrimaryKeyConstraint('rollout_scans_pk', ['generation_id', 'computer_id'])
    .execute();
}
