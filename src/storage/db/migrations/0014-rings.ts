import { sql, type Kysely } from 'kysely';
import { autoIdColumn, columnTypes, type DialectName } from '../dialect.js';

/**
 * Rollout rings (docs/rings.md, issue 14): ordered rings of computer groups with a soak time and a health gate,
 * and the ringed approvals ("rollouts") that flow through them.
 * - `rings.position` orders the rings (0 is the first); unique, so two rings never tie.
 * - `ring_groups.group_id` is the primary key: a group is in at most one ring, so a computer's ring depends only
 *   on its groups (the earliest ring of any of them and of their ancestors; docs/rings.md "Membership").
 * - Gate thresholds are percentages (0..100) and counts; `soak_ms` is milliseconds.
 * - A rollout snapshots its plan (ring ids in order, deadline offsets) as JSON; `position` is the index of its
 *   current stage in that plan. At most one running or paused rollout per update (partial unique index).
 * - `rollout_history` is the append-only record of every stage change, with its evidence (status, reports).
 */
export async function up0014Rings(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('rings')
    .addColumn('ring_id', ...autoIdColumn(dialect, 'int32'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('position', 'integer', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('soak_ms', t.int64, (c) => c.notNull())
    .addColumn('min_reported', 'integer', (c) => c.notNull())
    .addColumn('max_failure_percent', 'double precision', (c) => c.notNull())
    .addColumn('max_fault_percent', 'double precision', (c) => c.notNull())
    .addColumn('max_uninstalls', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('ring_groups')
    .addColumn('group_id', 'text', (c) => c.primaryKey().references('computer_groups.group_id'))
    .addColumn('ring_id', 'integer', (c) => c.notNull().references('rings.ring_id').onDelete('cascade'))
    .addColumn('added_at', t.int64, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ring_groups_ring').on('ring_groups').column('ring_id').execute();

  await db.schema
    .createTable('rollouts')
    .addColumn('rollout_id', ...autoIdColumn(dialect, 'int32'))
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('running', 'paused', 'completed', 'stopped')`),
    )
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('stage_started_at', t.int64, (c) => c.notNull())
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('hold_reason', 'text')
    .addColumn('evidence', 'text')
    .addColumn('rule_id', 'integer')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_via', 'text', (c) => c.notNull())
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .addColumn('finished_at', t.int64)
    .execute();
  await db.schema
    .createIndex('rollouts_one_active_per_update')
    .on('rollouts')
    .column('update_id')
    .unique()
    .where(sql.ref('state'), 'in', sql`('running', 'paused')`)
    .execute();
  await db.schema.createIndex('rollouts_state').on('rollouts').column('state').execute();

  await db.schema
    .createTable('rollout_history')
    .addColumn('history_id', ...autoIdColumn(dialect, 'int64'))
    .addColumn('rollout_id', 'integer', (c) => c.notNull().references('rollouts.rollout_id'))
    .addColumn('at', t.int64, (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .execute();
  await db.schema
    .createIndex('rollout_history_rollout')
    .on('rollout_history')
    .columns(['rollout_id', 'history_id'])
    .execute();
}
