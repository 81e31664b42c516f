import type { Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * The downstream servers that synchronize from Patchbay (docs/upstream.md, `patchbay downstreams`): one row
 * per server id (the DSS's accountGuid), so a downstream can never hold two; the row count is capped by
 * `[upstream_service] max_downstreams` in the repository. `computers` stays 0 until reporting roll-up lands.
 */
export async function up0010DownstreamServers(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('downstream_servers')
    .addColumn('server_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('protocol_version', 'text')
    .addColumn('first_seen_at', t.int64, (c) => c.notNull())
    .addColumn('last_auth_at', t.int64, (c) => c.notNull())
    .addColumn('last_sync_at', t.int64)
    .addColumn('sync_calls', t.int64, (c) => c.notNull().defaultTo(0))
    .addColumn('computers', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('downstream_servers_name').on('downstream_servers').column('name').execute();
}
