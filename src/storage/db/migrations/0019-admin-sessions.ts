import type { Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * Web console sessions (docs/console.md "Sign-in"): an API token is exchanged for a session cookie. The
 * session lives in the database, not in one process, so every node behind a load balancer accepts it and a
 * restart signs nobody out. Only the SHA-256 of the cookie value is stored (like api_tokens); the CSRF token
 * is stored as is because the console reads it back after a reload (it is useless without the cookie).
 * `token_id` ties the session to the token it came from: revoking the token ends its sessions.
 */
export async function up0019AdminSessions(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('admin_sessions')
    .addColumn('session_hash', t.blob, (c) => c.primaryKey())
    .addColumn('token_id', 'integer', (c) => c.notNull())
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', t.int64, (c) => c.notNull())
    .addColumn('expires_at', t.int64, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('admin_sessions_expires').on('admin_sessions').column('expires_at').execute();
}
