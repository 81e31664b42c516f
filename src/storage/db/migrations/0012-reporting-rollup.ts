import { sql, type Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * Reporting roll-up (docs/upstream.md "Reporting roll-up", docs/protocol/upstream.md §U2), both roles.
 *
 * Upstream role: rolled-up computers are rows of `computers` with `downstream_server_id` = the server the
 * client talks to (so vComputerTarget's ParentServerId, the status views and the reports show them as WSUS
 * does) and their states rows of `update_status`. `rollup_computers` says which direct downstream owns such
 * a row (the caps are per direct downstream) and keeps its roll-up number; `rollup_servers` holds the
 * servers a direct downstream reported (itself and its own downstreams, any depth) with their summary.
 *
 * Downstream role: `rollup_outbox` remembers, per computer, the roll-up number last sent to our upstream and
 * when, so a roll-up sends only what changed since.
 *
 * View `vDownstreamServer` (a Patchbay name: WSUS's own view name is not public, docs/public-views.md): one
 * row per downstream server in the hierarchy below us, WSUSAR's downstream-server columns and the 18
 * summary counters of its last roll-up.
 */
export async function up0012ReportingRollup(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema.alterTable('downstream_servers').addColumn('last_rollup_at', t.int64).execute();

  await db.schema
    .createTable('rollup_servers')
    .addColumn('server_id', 'text', (c) => c.primaryKey())
    .addColumn('reported_by', 'text', (c) => c.notNull())
    .addColumn('parent_server_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('version', 'text')
    .addColumn('is_replica', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_sync_at', t.int64)
    .addColumn('last_rollup_at', t.int64)
    // The 18 ServerSummary counters as a JSON object (bounded: 18 integers).
    .addColumn('summary', 'text')
    .addColumn('received_at', t.int64, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('rollup_servers_reported_by')
    .on('rollup_servers')
    .column('reported_by')
    .execute();

  await db.schema
    .createTable('rollup_computers')
    .addColumn('computer_id', 'text', (c) => c.primaryKey())
    .addColumn('reported_by', 'text', (c) => c.notNull())
    .addColumn('rollup_number', t.int64, (c) => c.notNull().defaultTo(0))
    .addColumn('last_rollup_at', t.int64, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('rollup_computers_reported_by')
    .on('rollup_computers')
    .column('reported_by')
    .execute();

  await db.schema
    .createTable('rollup_outbox')
    .addColumn('computer_id', 'text', (c) => c.primaryKey())
    .addColumn('rollup_number', t.int64, (c) => c.notNull())
    .addColumn('sent_at', t.int64, (c) => c.notNull())
    .execute();

  const ts =
    dialect === 'sqlite'
      ? (e: string) =>
          `(case when ${e} is null then null else strftime('%Y-%m-%d %H:%M:%S', (${e}) / 1000, 'unixepoch') || '.' || substr('00' || ((${e}) % 1000), -3) end)`
      : (e: string) => `(timestamptz 'epoch' + (${e}) * interval '1 millisecond')`;
  const alias = dialect === 'sqlite' ? (n: string) => `"${n}"` : (n: string) => `"${n.toLowerCase()}"`;
  const counter = (n: string) =>
    dialect === 'sqlite'
      ? `cast(json_extract(rs.summary, '$.${n}') as integer)`
      : `cast(cast(rs.summary as json) ->> '${n}' as integer)`;
  const columns: [string, string][] = [
    ['DownstreamServerId', 'x.server_id'],
    ['DomainName', 'x.name'],
    ['ParentServerId', 'x.parent_server_id'],
    ['ReportedByServerId', 'x.reported_by'],
    ['RollupLastSyncTime', ts('x.last_sync_at')],
    ['LastRollupTime', ts('x.last_rollup_at')],
    ['Version', 'x.version'],
    ['IsReplica', 'x.is_replica'],
    ...summaryCounters.map((n): [string, string] => [n, counter(n)]),
  ];
  // Direct downstreams come from the registry (present before their first roll-up); deeper ones only from
  // roll-ups. A direct downstream's parent is this server (settings' instance id, a JSON string).
  const instanceId =
    dialect === 'sqlite'
      ? `(select json_extract(value, '$') from settings where key = 'server.instanceId')`
      : `(select cast(value as json) #>> '{}' from settings where key = 'server.instanceId')`;
  const from = `from (
    select d.server_id, d.name, ${instanceId} as parent_server_id, d.server_id as reported_by,
      coalesce(d.last_sync_at, rs0.last_sync_at) as last_sync_at, d.last_rollup_at,
      rs0.version, coalesce(rs0.is_replica, 0) as is_replica
    from downstream_servers d left join rollup_servers rs0 on rs0.server_id = d.server_id
    union all
    select n.server_id, n.name, n.parent_server_id, n.reported_by, n.last_sync_at, n.last_rollup_at,
      n.version, n.is_replica
    from rollup_servers n
    where n.server_id <> n.reported_by
      and exists (select 1 from downstream_servers d2 where d2.server_id = n.reported_by)
  ) x
  left join rollup_servers rs on rs.server_id = x.server_id`;
  const select = columns.map(([name, expr]) => `  ${expr} as ${alias(name)}`).join(',\n');
  if (dialect === 'sqlite') {
    await sql.raw(`create view "vDownstreamServer" as\nselect\n${select}\n${from}`).execute(db);
    return;
  }
  await sql.raw(`create view public_views.vdownstreamserver as\nselect\n${select}\n${from}`).execute(db);
  const passThrough = columns.map(([n]) => `"${n.toLowerCase()}" as "${n}"`).join(', ');
  await sql
    .raw(
      `create view "PUBLIC_VIEWS"."vDownstreamServer" as select ${passThrough} from public_views.vdownstreamserver`,
    )
    .execute(db);
}

/** ServerSummary's counters (MS-WSUSSS DownstreamServerRollupServerSummary), frozen with this migration. */
const summaryCounters = [
  'UpdateCount',
  'DeclinedUpdateCount',
  'ApprovedUpdateCount',
  'NotApprovedUpdateCount',
  'UpdatesWithStaleUpdateApprovalsCount',
  'ExpiredUpdateCount',
  'CriticalOrSecurityUpdatesNotApprovedForInstallCount',
  'WsusInfrastructureUpdatesNotApprovedForInstallCount',
  'UpdatesWithClientErrorsCount',
  'UpdatesWithServerErrorsCount',
  'UpdatesNeedingFilesCount',
  'UpdatesNeededByComputersCount',
  'UpdatesUpToDateCount',
  'CustomComputerTargetGroupCount',
  'ComputerTargetCount',
  'ComputerTargetsNeedingUpdatesCount',
  'ComputerTargetsWithUpdateErrorsCount',
  'ComputersUpToDateCount',
] as const;
