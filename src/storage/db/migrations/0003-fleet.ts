import { sql, type Kysely } from 'kysely';
import { autoIdColumn, columnTypes, type DialectName } from '../dialect.js';

/** WSUS built-in group ids (also in src/domain/ids.ts; duplicated so a migration never changes under us). */
const allComputers = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421';
const unassignedComputers = 'b73ca6ed-5727-47f3-84de-015e03f6a88a';

/** Computers, groups, approvals, declines, rules, audit log, client events, per-update status. */
export async function up0003Fleet(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);

  let computers = db.schema.createTable('computers').addColumn('computer_id', 'text', (c) => c.primaryKey());
  for (const col of ['dns_name', 'ip_address']) computers = computers.addColumn(col, 'text');
  for (const col of [
    'os_major',
    'os_minor',
    'os_build',
    'os_revision',
    'os_service_pack_major',
    'os_service_pack_minor',
  ])
    computers = computers.addColumn(col, 'integer');
  computers = computers.addColumn('os_locale', 'text').addColumn('os_product_type', 'integer');
  for (const col of [
    'os_description',
    'computer_make',
    'computer_model',
    'bios_version',
    'firmware_version',
    'client_version',
    'processor_architecture',
    'inventory',
    'downstream_server_id',
  ])
    computers = computers.addColumn(col, 'text');
  await computers
    .addColumn('registered_at', t.int64, (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .addColumn('last_sync_at', t.int64)
    .addColumn('last_report_at', t.int64)
    .addColumn('last_inventory_at', t.int64)
    .execute();
  await db.schema.createIndex('computers_dns_name').on('computers').columns(['dns_name']).execute();

  await db.schema
    .createTable('computer_groups')
    .addColumn('group_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('parent_group_id', 'text', (c) => c.references('computer_groups.group_id'))
    .addColumn('description', 'text')
    .addColumn('is_builtin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('computer_groups_parent')
    .on('computer_groups')
    .columns(['parent_group_id'])
    .execute();
  const now = Date.now();
  await db
    .insertInto('computer_groups' as never)
    .values([
      {
        group_id: allComputers,
        name: 'All Computers',
        parent_group_id: null,
        description: 'Every computer (built-in)',
        is_builtin: 1,
        created_at: now,
        updated_at: now,
      },
      {
        group_id: unassignedComputers,
        name: 'Unassigned Computers',
        parent_group_id: allComputers,
        description: 'Computers in no other group (built-in)',
        is_builtin: 1,
        created_at: now,
        updated_at: now,
      },
    ] as never)
    .execute();

  await db.schema
    .createTable('group_memberships')
    .addColumn('computer_id', 'text', (c) =>
      c.notNull().references('computers.computer_id').onDelete('cascade'),
    )
    .addColumn('group_id', 'text', (c) =>
      c.notNull().references('computer_groups.group_id').onDelete('cascade'),
    )
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('added_at', t.int64, (c) => c.notNull())
    .addPrimaryKeyConstraint('group_memberships_pk', ['computer_id', 'group_id'])
    .execute();
  await db.schema
    .createIndex('group_memberships_group')
    .on('group_memberships')
    .columns(['group_id'])
    .execute();

  await db.schema
    .createTable('approvals')
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) =>
      c.notNull().references('computer_groups.group_id').onDelete('cascade'),
    )
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('deadline_at', t.int64)
    .addColumn('approved_by', 'text', (c) => c.notNull())
    .addColumn('approved_via', 'text', (c) => c.notNull())
    .addColumn('approved_at', t.int64, (c) => c.notNull())
    .addPrimaryKeyConstraint('approvals_pk', ['update_id', 'group_id'])
    .execute();
  await db.schema.createIndex('approvals_group').on('approvals').columns(['group_id']).execute();

  await db.schema
    .createTable('declines')
    .addColumn('update_id', 'text', (c) => c.primaryKey())
    .addColumn('declined_by', 'text', (c) => c.notNull())
    .addColumn('declined_via', 'text', (c) => c.notNull())
    .addColumn('declined_at', t.int64, (c) => c.notNull())
    .addColumn('reason', 'text')
    .execute();

  const [ruleIdType, ruleIdCol] = autoIdColumn(dialect, 'int32');
  await db.schema
    .createTable('approval_rules')
    .addColumn('rule_id', ruleIdType, ruleIdCol)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('is_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('criteria', 'text', (c) => c.notNull())
    .addColumn('group_ids', 'text', (c) => c.notNull())
    .addColumn('deadline_offset_ms', t.int64)
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .execute();

  const [auditIdType, auditIdCol] = autoIdColumn(dialect, 'int64');
  await db.schema
    .createTable('audit_log')
    .addColumn('audit_id', auditIdType, auditIdCol)
    .addColumn('at', t.int64, (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at']).execute();

  // No foreign key to computers: events are stored as received (raw), even before/without registration.
  await db.schema
    .createTable('client_events')
    .addColumn('event_instance_id', 'text', (c) => c.primaryKey())
    .addColumn('computer_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'integer', (c) => c.notNull())
    .addColumn('namespace_id', 'integer', (c) => c.notNull())
    .addColumn('source_id', 'integer')
    .addColumn('event_at', t.int64, (c) => c.notNull())
    .addColumn('received_at', t.int64, (c) => c.notNull())
    .addColumn('update_id', 'text')
    .addColumn('revision_number', 'integer')
    .addColumn('win32_hresult', t.int64)
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('is_raw_truncated', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('client_events_computer')
    .on('client_events')
    .columns(['computer_id', 'event_at'])
    .execute();

  await db.schema
    .createTable('update_status')
    .addColumn('computer_id', 'text', (c) =>
      c.notNull().references('computers.computer_id').onDelete('cascade'),
    )
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('revision_id', 'integer')
    .addColumn('state', 'integer', (c) => c.notNull())
    .addColumn('hresult', t.int64)
    .addColumn('status_at', t.int64, (c) => c.notNull())
    .addColumn('updated_at', t.int64, (c) => c.notNull())
    .addPrimaryKeyConstraint('update_status_pk', ['computer_id', 'update_id'])
    .addCheckConstraint('update_status_state', sql`state between 0 and 6`)
    .execute();
  await db.schema
    .createIndex('update_status_update')
    .on('update_status')
    .columns(['update_id', 'state'])
    .execute();
}
